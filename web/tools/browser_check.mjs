// The viewer in a real browser: Debian's chromium (headless, driven by puppeteer-core) loads the
// page from a running `mogo serve`, types a sentence, presses Stream, and checks that frames
// arrive, that the skeleton moves (joint positions differ between two screenshots, and so do the
// screenshots' pixels), that a text change reaches the stream, and that the console stays clean.
// Usage: node web/tools/browser_check.mjs http://127.0.0.1:PORT/ [screenshot.png]
import { fail, launchChromium } from './chromium.mjs';

const url = process.argv[2];
const shot = process.argv[3];
const browser = await launchChromium(1100, 700);
const errors = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 700 });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => { if (!r.url().includes('/v1/stream')) errors.push(`request failed: ${r.url()}`); });
  await page.goto(url, { waitUntil: 'networkidle0' });
  await page.$eval('#text', (el) => { el.value = ''; });
  await page.type('#text', 'a person walks forward happily');
  await page.$eval('#seconds', (el) => { el.value = '0'; });  // endless: steered below, then stopped
  await page.click('#stream');
  await page.waitForFunction(() => window.mogoViewer.frames >= 40 && window.mogoViewer.rendered > 10, { timeout: 60000 });
  const first = await page.evaluate(() => ({ frame: window.mogoViewer.frame, pose: window.mogoViewer.pose(window.mogoViewer.frame) }));
  const shotA = await page.screenshot({ encoding: 'base64' });
  await page.waitForFunction((f) => window.mogoViewer.frame >= f + 20, { timeout: 60000 }, first.frame);
  const second = await page.evaluate(() => ({ frame: window.mogoViewer.frame, pose: window.mogoViewer.pose(window.mogoViewer.frame) }));
  const shotB = await page.screenshot(shot ? { path: shot } : { encoding: 'base64' });
  const moved = Math.max(...first.pose.map((v, i) => Math.abs(v - second.pose[i])));
  // Steer: the new text comes back in the stream's status line, and the figure being played
  // takes it up soon: streams are paced (0.2 s ahead of playback), so the first frame made under
  // the new text is at most about a second of motion after the frame playing at the click.
  await page.type('#newText', 'a person jumps');
  const playingAtClick = await page.evaluate(() => window.mogoViewer.frame);
  const clicked = Date.now();
  await page.click('#change');
  await page.waitForFunction(() => { const v = window.mogoViewer; return v.textAt(v.frame) === 'a person jumps'; }, { timeout: 60000 });
  const steerSeconds = (Date.now() - clicked) / 1000;
  const firstNew = await page.evaluate(() => { const v = window.mogoViewer; let i = 0; while (v.textAt(i) !== 'a person jumps') ++i; return i; });
  const steerMotion = (firstNew - playingAtClick) / 20;
  if (steerMotion > 1.0) fail(`the new text reached the motion ${steerMotion} s of motion after the frame being played`);
  // Wall time: 1 s on a quiet machine; a loaded CI machine may render late, so the bound is loose.
  if (steerSeconds > 5) fail(`the played figure took ${steerSeconds} s of wall time to follow the new text`);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('a person jumps'), { timeout: 60000 });
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('stopped'), { timeout: 30000 });
  const frames = await page.evaluate(() => window.mogoViewer.frames);
  const pixelsDiffer = shot ? true : shotA !== shotB;
  if (!(moved > 0.01)) fail(`the skeleton did not move: ${moved} m between frames ${first.frame} and ${second.frame}`);
  if (!pixelsDiffer) fail('two screenshots of a moving skeleton are identical');
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  console.log(JSON.stringify({ ok: true, frames, moved, frameA: first.frame, frameB: second.frame, steerSeconds, steerMotion }));
} finally {
  await browser.close();
}
