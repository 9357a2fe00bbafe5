// How long the map takes to show its first initiatives: for the benchmark (bench/), not a test.
//   node e2e/first-render.mjs http://127.0.0.1:8080 [runs]
// Each run opens the server's default view in a fresh browser context (empty cache), offline
// except for the server, and reports the page's clock (ms since navigation started) when the first
// clusters or initiatives were drawn. Prints one JSON object:
//   {"runs_ms": [...], "bundle_gzip_bytes": n, "all_pages_gzip_bytes": m}
// where n is the gzip size of the JS and CSS the map page loaded (what a visitor downloads) and m
// that of every page's (the workspace's and the territory dashboards' too).
// Offline except for the server: other hosts do not resolve (Chromium's host resolver rules), so
// that the server's own requests are not intercepted on their way (a Playwright route would pause
// every request of the page, the tiles' included, for a round trip to this script).

import { bundleGzipBytes, launchChromium } from './harness.mjs';

const [base, runsArg] = process.argv.slice(2);
if (!base) {
  console.error('usage: node e2e/first-render.mjs BASE_URL [runs]');
  process.exit(2);
}
const runs = Number(runsArg ?? 3);

// Runs in the page before its own scripts: watches every frame for our drawn features.
function watchFirstRender() {
  const look = () => {
    const map = window.__archipel?.map;
    try {
      if (map && map.getLayer('ar-clusters') && map.queryRenderedFeatures({ layers: ['ar-clusters', 'ar-initiatives'] }).length) {
        window.__firstRenderMs = performance.now();
        return;
      }
    } catch {
      // the style is still loading
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}

const { browser, close } = await launchChromium({ args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });
const times = [];
const loaded = new Set();
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
    await context.addInitScript(watchFirstRender);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForFunction(() => window.__firstRenderMs !== undefined, null, { timeout: 60000, polling: 50 });
    times.push(Math.round(await page.evaluate(() => window.__firstRenderMs)));
    const assets = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => /^\/assets\/[^/]+\.(js|css)$/.test(p)),
    );
    for (const a of assets) loaded.add(a.slice('/assets/'.length));
    await context.close();
  }
} finally {
  await close();
}
console.log(JSON.stringify({ runs_ms: times, bundle_gzip_bytes: bundleGzipBytes([...loaded]), all_pages_gzip_bytes: bundleGzipBytes() }));
