import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = resolve(import.meta.dirname, '../dist/apps');

/** Every file under a folder, as paths relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)));
}

// `npm test` builds first, so this checks what the image ships (the Dockerfile copies dist/).
describe('the production build', () => {
  it.each(['api', 'cloud-worker', 'cli'])('of %s holds no spec, no test helper and no local-run tool', (app) => {
    const files = filesUnder(join(DIST, app)).filter((file) => file.endsWith('.js'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((file) => /\.(e2e-)?spec\.js$/.test(file) || file.startsWith('test/') || file.includes('/test/'))).toEqual([]);
    // tools/ (the Kubernetes simulator, the S3 test server) is for local runs only: an app never imports it.
    expect(files.filter((file) => file.startsWith('tools/'))).toEqual([]);
  });

  it('of the api holds no worker code, and its own code makes no Kubernetes call that writes', () => {
    const files = filesUnder(join(DIST, 'api')).filter((file) => file.endsWith('.js'));
    expect(files.filter((file) => file.startsWith('apps/cloud-worker/'))).toEqual([]);
    // The api follows logs with a read-only Role (pods, pods/log; secrets get with sts): it reads, never writes.
    const own = files.filter((file) => file.startsWith('apps/api/'));
    expect(own.some((file) => readFileSync(join(DIST, 'api', file), 'utf8').includes('.openPodLog('))).toBe(true);
    expect(own.filter((file) => /\.(createJob|patchJob|deleteJob|createSecret)\(/.test(readFileSync(join(DIST, 'api', file), 'utf8')))).toEqual([]);
  });

  it('of the dashboard is its page, one script under budget and one stylesheet, with nothing fetched from elsewhere', () => {
    const dashboard = resolve(DIST, '../dashboard');
    expect(filesUnder(dashboard).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    expect(gzipSync(readFileSync(join(dashboard, 'app.js'))).length).toBeLessThan(150 * 1024);
    const page = readFileSync(join(dashboard, 'index.html'), 'utf8');
    expect(page).toContain('<script type="module" src="app.js"></script>');
    // No CDN: every address in the page and the script is this origin's (the api's CSP would refuse others).
    expect(page.match(/(src|href)="https?:/g)).toBeNull();
    expect(readFileSync(join(dashboard, 'app.js'), 'utf8').match(/https?:\/\/(?!www\.w3\.org)[\w.-]+/g) ?? []).toEqual([]);
  });
});
