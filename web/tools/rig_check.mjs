// The viewer with a user's character: Debian's chromium (headless, puppeteer-core) loads the page
// from a running `mogo serve`, picks a skinned .glb as the character (the server retargets onto
// it), generates a motion, and checks that the character's own bones stand where the frames put
// the rig's joints, that they move, and that the console stays clean.
// Usage: node web/tools/rig_check.mjs http://127.0.0.1:PORT/ character.glb
import { fail, launchChromium } from './chromium.mjs';

const [url, glb] = process.argv.slice(2);
const browser = await launchChromium(900, 600);
const errors = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'networkidle0' });
  await (await page.$('#rigFile')).uploadFile(glb);
  await page.waitForFunction(() => window.mogoViewer.rig !== null, { timeout: 60000 });
  await page.$eval('#seconds', (el) => { el.value = '2'; });
  await page.click('#generate');
  await page.waitForFunction(() => window.mogoViewer.frames >= 40 && window.mogoViewer.rendered > 5, { timeout: 60000 });
  // Pause on two frames in turn: the character's bones must be where the frame's joints are.
  const at = async (frame) => page.evaluate((f) => {
    const v = window.mogoViewer;
    document.getElementById('play').click();  // pause (then scrub)
    const s = document.getElementById('scrub');
    s.value = f;
    s.dispatchEvent(new Event('input'));
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
      const pose = v.pose(f);
      let worst = 0, seen = 0;
      for (let j = 0; j * 3 < pose.length; j++) {
        const b = v.boneWorld(j);
        if (!b) continue;
        seen++;
        for (let d = 0; d < 3; d++) worst = Math.max(worst, Math.abs(b[d] - pose[j * 3 + d]));
      }
      document.getElementById('play').click();  // play again
      resolve({ worst, seen, hips: v.boneWorld(0) });
    })));
  }, frame);
  const a = await at(5);
  const b = await at(35);
  if (a.seen < 10) fail(`only ${a.seen} bones of the character were found`);
  if (!(a.worst < 1e-3 && b.worst < 1e-3)) fail(`bones stand ${Math.max(a.worst, b.worst)} from the frames' joints`);
  const moved = Math.hypot(a.hips[0] - b.hips[0], a.hips[2] - b.hips[2]);
  if (!(moved > 0.05)) fail(`the character did not move: ${moved}`);
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  console.log(JSON.stringify({ ok: true, bones: a.seen, worst: Math.max(a.worst, b.worst), moved }));
} finally {
  await browser.close();
}
