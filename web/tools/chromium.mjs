// Debian's chromium, headless, for the viewer's browser checks (puppeteer-core: no browser of its
// own is ever downloaded; CHROMIUM overrides the path), and the one way those checks fail.
import puppeteer from 'puppeteer-core';

export function launchChromium(width, height) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  return puppeteer.launch({ executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', `--window-size=${width},${height}`] });
}

// Prints {"ok": false, "error": msg} and exits 1.
export function fail(msg) {
  console.log(JSON.stringify({ ok: false, error: msg }));
  process.exit(1);
}
