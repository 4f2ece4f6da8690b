// Builds the dashboard into dist/dashboard at build time, offline: one script, one stylesheet and the page.
// The api serves that folder (apps/api/src/dashboard.ts); nothing is fetched from a CDN at run time.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The budget for the gzipped script (issue 14): the build fails above it. */
const MAX_GZIPPED_SCRIPT_BYTES = 150 * 1024;

const source = resolve(import.meta.dirname, 'src');
const out = resolve(import.meta.dirname, '../../dist/dashboard');

await mkdir(out, { recursive: true });
await build({
  entryPoints: [resolve(source, 'main.tsx')],
  outfile: resolve(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: resolve(import.meta.dirname, 'tsconfig.json'),
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(resolve(source, 'index.html'), resolve(out, 'index.html'));
await copyFile(resolve(source, 'app.css'), resolve(out, 'app.css'));

const gzipped = gzipSync(await readFile(resolve(out, 'app.js'))).length;
if (gzipped > MAX_GZIPPED_SCRIPT_BYTES) {
  console.error(`dashboard: app.js is ${gzipped} bytes gzipped, over the budget of ${MAX_GZIPPED_SCRIPT_BYTES}`);
  process.exit(1);
}
console.log(`dashboard: dist/dashboard/app.js, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
