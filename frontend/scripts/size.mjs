// Prints the size of the built front end as browsers download it (gzip), per asset and per page,
// and fails when the JS + CSS of all the assets together passes the budget.
//   npm run build && npm run size
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KIB = 350;
const dist = join(import.meta.dirname, '..', 'dist');
const assets = join(dist, 'assets');

let files;
try {
  files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
} catch {
  console.error('No dist/assets: run `npm run build` first.');
  process.exit(1);
}

const kib = (n) => `${(n / 1024).toFixed(1).padStart(7)} KiB`;
const sizes = new Map();
for (const f of files) {
  const raw = readFileSync(join(assets, f));
  sizes.set(f, { raw: statSync(join(assets, f)).size, gzip: gzipSync(raw, { level: 9 }).length });
}

console.log('asset                                   raw          gzip');
for (const [f, s] of [...sizes].sort((a, b) => b[1].gzip - a[1].gzip)) {
  console.log(`${f.padEnd(36)} ${kib(s.raw)}  ${kib(s.gzip)}`);
}

for (const page of ['index.html', 'embed.html']) {
  const html = readFileSync(join(dist, page), 'utf8');
  const used = [...html.matchAll(/\/assets\/([^"']+\.(?:js|css))/g)].map((m) => m[1]);
  const total = [...new Set(used)].reduce((sum, f) => sum + (sizes.get(f)?.gzip ?? 0), 0);
  console.log(`page ${page.padEnd(12)} JS+CSS gzip ${kib(total)}  (${[...new Set(used)].length} files)`);
}

const total = [...sizes.values()].reduce((sum, s) => sum + s.gzip, 0);
const verdict = total / 1024 <= BUDGET_KIB ? 'within' : 'OVER';
console.log(`all JS+CSS gzip ${kib(total)} — ${verdict} the ${BUDGET_KIB} KiB budget (MapLibre included)`);
if (verdict === 'OVER') process.exit(1);
