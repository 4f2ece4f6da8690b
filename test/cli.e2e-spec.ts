import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, NAMESPACE, napImages, pythonTestImage, TEST_ADMIN_TOKEN, TestSystem } from './support/system.js';

/** The CLI as `npm run build` builds it (package.json's bin). */
const CLI = resolve(import.meta.dirname, '../dist/apps/cli/apps/cli/src/main.js');
const ESCAPE = /\x1b/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** One run of the built CLI as a subprocess: its output as it comes, and its exit. */
class CliRun {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(child, 'close').then(([code]) => code as number | null);
  }

  /** Its exit code and output; one that has not exited within `timeoutMs` is killed and fails with what it wrote. */
  async result(timeoutMs = 25_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the CLI did not exit within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      const code = await Promise.race([this.exited, late]);
      return { code, stdout: this.stdout, stderr: this.stderr };
    } finally {
      clearTimeout(timer);
    }
  }
}

describe('the cloud-worker CLI against the real stack', () => {
  let system: TestSystem;
  let workDir: string;

  /** Starts the CLI with the system's api and the tests' admin token, in a folder of its own (no .local/token). */
  const start = (args: string[], env: Record<string, string> = {}) =>
    new CliRun(
      spawn(process.execPath, [CLI, ...args], {
        cwd: workDir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CLOUD_WORKER_API: system.apiUrl, CLOUD_WORKER_TOKEN: TEST_ADMIN_TOKEN, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  const cli = (args: string[], env: Record<string, string> = {}, timeoutMs?: number) => start(args, env).result(timeoutMs);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
    system = await TestSystem.start({
      sim: { images: { ...pythonTestImage(0.5), ...napImages({ 'nap/4s': 4000 }) } },
      env: { TIME_OUT_UNIT_SECONDS: '1' },
    });
  });
  /** Writes files (path → content) under a folder of the test's own, and answers the folder. */
  const inputs = async (name: string, files: Record<string, Buffer>) => {
    const folder = join(workDir, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(folder, path, '..'), { recursive: true });
      await writeFile(join(folder, path), content);
    }
    return folder;
  };
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  afterAll(async () => {
    await system?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('runs an image, follows its log and sums up; piped, without escape codes', async () => {
    const { code, stdout, stderr } = await cli(['run', 'mstc/python-test', '--name', 'test-job', '--input-bucket', 'test.inputs', '--prefix', 'cli-1']);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const id = stderr.match(new RegExp(`submitted job (${UUID.source})`))![1];
    // The log, then the summary, on stdout; the statuses as plain lines on stderr.
    expect(stdout).toMatch(/^Started\n[\s\S]*\nSUCCESS\n/);
    expect(stdout).toContain('status:        succeeded');
    expect(stdout).toContain(`log object:    cli-1-test-job-${id}.log`);
    expect(stderr).toMatch(new RegExp(`job ${id} queued\n`));
    expect(stderr).toMatch(new RegExp(`job ${id} succeeded \\(exit code 0\\) after`));
    expect(stdout + stderr).not.toMatch(ESCAPE);
    // The log followed is the log stored.
    expect(stdout.slice(0, stdout.indexOf('SUCCESS\n') + 8)).toBe(await system.objectText('test.inputs', `cli-1-test-job-${id}.log`));
  });

  it('uploads a folder of inputs (one of 52 MB), runs mstc/bucket-copy on them and downloads its outputs byte for byte', async () => {
    const files = { 'big.bin': randomBytes(52 * 1024 * 1024), 'small.txt': Buffer.from('alpha\n'), 'nested/deeper/c.csv': Buffer.from('a,b\n1,2\n') };
    const folder = await inputs('data', files);
    const out = join(workDir, 'results');
    const { code, stdout, stderr } = await cli(['run', 'mstc/bucket-copy', '--name', 'copy', '--input', folder, '--input-bucket', 'cli-copy', '--prefix', 'big-1', '--out', out], {}, 90_000);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    // Piped: a line per file moved, no bars.
    expect(stderr).toContain('uploaded big-1/data/big.bin (54.5 MB)\n');
    expect(stderr).toContain('uploaded big-1/data/nested/deeper/c.csv (8 B)\n');
    expect(stderr).toContain('uploaded 3 files (54.5 MB) to cli-copy/big-1/\n');
    expect(stderr).toMatch(/downloaded big-1-result\.json \(\d+ B\)\n/);
    expect(stdout + stderr).not.toMatch(ESCAPE);
    // The inputs arrived whole: the job read each at its size and SHA-256.
    const result = JSON.parse(await readFile(join(out, 'big-1-result.json'), 'utf8')) as { objects: Array<{ name: string; size: number; sha256: string }> };
    expect(result.objects).toEqual(
      Object.entries(files)
        .map(([path, content]) => ({ name: `big-1/data/${path}`, size: content.length, sha256: sha256(content) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    // The outputs (not the inputs) came down byte for byte, as the store holds them.
    const id = stderr.match(new RegExp(`submitted job (${UUID.source})`))![1];
    const record = (await system.record(id))!;
    expect(record.outputs!.map((output) => output.name)).toEqual(['big-1-result.json']);
    expect(await readFile(join(out, 'big-1-result.json'))).toEqual(Buffer.from(await system.objectText('cli-copy', 'big-1-result.json')));
    expect(stdout).toMatch(/NAME +SIZE +MODIFIED +SAVED AS\nbig-1-result\.json /);
    // outputs: listed, and downloaded again elsewhere, as JSON.
    const again = await cli(['outputs', id, '--out', join(workDir, 'again'), '-o', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outputBucket: 'cli-copy', manifestObject: record.manifestObject, outputs: [{ name: 'big-1-result.json', path: join(workDir, 'again', 'big-1-result.json') }] });
    expect(await readFile(join(workDir, 'again', 'big-1-result.json'))).toEqual(await readFile(join(out, 'big-1-result.json')));
  });

  it.each([
    [1, 'a failed Job', 'mstc/fail', [], { status: 'failed', reason: 'Error', exitCode: 3 }],
    [3, 'a timed-out Job', 'mstc/sleep', ['--timeout', '2'], { status: 'timed_out', reason: 'DeadlineExceeded' }],
    [2, 'an image that cannot be pulled', 'registry.invalid/no/such-image:1', [], { status: 'failed', reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) }],
  ] as const)('exits %i for %s (%s)', async (exitCode, _case, image, extra, record) => {
    const { code, stdout, stderr } = await cli(['run', image, '--name', 'ends', '--input-bucket', 'test.inputs', '-o', 'json', ...extra]);
    expect({ code, stderr }).toMatchObject({ code: exitCode });
    // -o json: the final record alone on stdout, as the api has it.
    const printed = JSON.parse(stdout) as { id: string };
    expect(printed).toMatchObject(record);
    const stored = (await system.record(printed.id))!;
    expect(printed).toMatchObject({ id: stored.id, status: stored.status, reason: stored.reason, exitCode: stored.exitCode, logObject: stored.logObject });
  });

  it('runs an image with the resources, environment and arguments its flags give', async () => {
    const { code, stderr } = await cli(['run', 'mstc/python-test', '--name', 'sized', '--input-bucket', 'test.inputs', '--detach', '--env', 'MODE=fast', '--requests', 'cpu=100m,memory=64Mi', '--limits', 'memory=128Mi', '--', '--steps', '3']);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const id = stderr.match(new RegExp(`submitted job (${UUID.source})`))![1];
    const record = (await system.record(id))!;
    expect(record.request).toMatchObject({ env: [{ name: 'MODE', value: 'fast' }], args: ['--steps', '3'], resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } });
    const container = await eventually(() => system.sim.get('jobs', NAMESPACE, record.jobName)?.spec.template.spec.containers[0], 10_000, 'the Job');
    expect(container.args).toEqual(['--steps', '3']);
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'MODE', value: 'fast' }]));
    expect(container.resources).toMatchObject({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } });
  });

  it('refuses an invalid request with exit code 2 and the api\'s reasons on stderr', async () => {
    const { code, stdout, stderr } = await cli(['submit', '--image', 'mstc/sleep', '--name', 'Bad_Name', '--input-bucket', 'test.inputs']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('400 Bad Request: Invalid work request: jobName must be a lowercase RFC 1123 label');
  });

  it('exits 4 for a cancelled job: wait sees cancel end it', async () => {
    const submitted = await cli(['submit', '--image', 'mstc/sleep', '--name', 'sleeper', '--input-bucket', 'test.inputs', '-o', 'name']);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(UUID);
    const waiting = start(['wait', id]);
    await eventually(async () => (await system.record(id))?.status === 'running', 20_000, 'the job to run');
    const cancelled = await cli(['cancel', id, '-o', 'json']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id, status: 'cancelled', reason: 'Cancelled' });
    const waited = await waiting.result();
    expect(waited.code).toBe(4);
    expect(waited.stdout).toContain('status:        cancelled');
    // Cancelling it again: the api refuses (409), a client error.
    expect(await cli(['cancel', id])).toMatchObject({ code: 14, stderr: expect.stringContaining('409') });
  });

  it('detaches on Ctrl-C and says how to follow again; with --cancel-on-interrupt it cancels (exit 4)', async () => {
    const detaching = start(['run', 'mstc/sleep', '--name', 'detach', '--input-bucket', 'test.inputs']);
    await eventually(() => /job \S+ running/.test(detaching.stderr), 20_000, 'running');
    detaching.child.kill('SIGINT');
    const detached = await detaching.result();
    const id = detached.stderr.match(new RegExp(`submitted job (${UUID.source})`))![1];
    expect(detached.code).toBe(130);
    expect(detached.stderr).toContain(`detached: job ${id} keeps running. Follow it again with:\n  cloud-worker logs -f ${id}`);
    expect((await system.record(id))!.status).toBe('running');
    await cli(['cancel', id]);

    const cancelling = start(['run', 'mstc/sleep', '--name', 'interrupt', '--input-bucket', 'test.inputs', '--cancel-on-interrupt']);
    await eventually(() => /job \S+ running/.test(cancelling.stderr), 20_000, 'running');
    cancelling.child.kill('SIGINT');
    const ended = await cancelling.result();
    const cancelledId = ended.stderr.match(new RegExp(`submitted job (${UUID.source})`))![1];
    expect(ended.code).toBe(4);
    expect(ended.stderr).toContain(`cancelled job ${cancelledId}`);
    expect((await system.record(cancelledId))!.status).toBe('cancelled');
  });

  it('logs -f shows lines before the job ends, then ends with it', async () => {
    const submitted = await cli(['submit', '--image', 'nap/4s', '--name', 'napper', '--input-bucket', 'test.inputs', '-o', 'name']);
    const id = submitted.stdout.trim();
    await eventually(async () => (await system.record(id))?.status === 'running', 20_000, 'the job to run');
    const following = start(['logs', '-f', id]);
    await eventually(() => following.stdout.includes('Sleeping 4000 ms'), 10_000, 'the first lines');
    expect((await system.record(id))!.status).toBe('running');
    const { code, stdout } = await following.result();
    expect(code).toBe(0);
    expect((await system.record(id))!.status).toBe('succeeded');
    expect(stdout).toMatch(/Started .*\nSleeping 4000 ms\nExiting with code 0\n$/);
    // --tail: only the last lines of the stored log.
    expect(await cli(['logs', id, '--tail', '1'])).toMatchObject({ code: 0, stdout: 'Exiting with code 0\n' });
  });

  it('gets a job by id or @latest and lists jobs as a table or JSON', async () => {
    const latest = await cli(['get', '@latest', '-o', 'json']);
    expect(latest.code).toBe(0);
    const record = JSON.parse(latest.stdout) as { id: string; status: string };
    expect(await cli(['get', record.id, '-o', 'name'])).toMatchObject({ code: 0, stdout: `${record.id}\n` });
    const table = await cli(['ls', '--status', 'succeeded,failed', '--limit', '3']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +STATUS +REASON +EXIT +SUBMITTED +DURATION +IMAGE$/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((line) => / (succeeded|failed) /.test(line))).toBe(true);
    const listed = JSON.parse((await cli(['ls', '--limit', '2', '-o', 'json'])).stdout) as Array<{ id: string }>;
    expect(listed).toHaveLength(2);
    expect(await cli(['get', '00000000-0000-4000-8000-000000000000'])).toMatchObject({ code: 13 });
    expect(await cli(['ls'], { CLOUD_WORKER_TOKEN: 'wrong' })).toMatchObject({ code: 12, stderr: expect.stringContaining('401') });
  });

  it('submits over RabbitMQ the MSTC way with --amqp and exits as the reply says', async () => {
    const amqp = ['--amqp', process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', '--exchange', system.names.workExchange, '--routing-key', system.names.workQueue];
    const ok = await cli(['submit', '--image', 'mstc/python-test', '--name', 'test-job', '--input-bucket', 'test.inputs', '--prefix', 'amqp-1', ...amqp, '-o', 'json'], { CLOUD_WORKER_API: 'http://127.0.0.1:9' });
    expect(ok.code).toBe(0);
    const reply = JSON.parse(ok.stdout) as { result: string; id: string; jobName: string };
    expect(reply.result).toBe(`Job ${reply.jobName} complete.`);
    expect(reply).toMatchObject({ status: 'succeeded', exitCode: 0, outputBucket: 'test.inputs', logObject: `amqp-1-${reply.jobName}.log` });
    // The request ran under the CLI's correlation id, MSTC-style: it is the job's id.
    expect(reply.jobName).toBe(`test-job-${reply.id}`);

    const failed = await cli(['submit', '--image', 'mstc/fail', '--name', 'failing', '--input-bucket', 'test.inputs', ...amqp]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Job failing-\S+ failed: Error \(exit code 3\)\.\n$/);

    const rejected = await cli(['submit', '--image', 'mstc/fail', '--name', 'Bad_Name', ...amqp]);
    expect(rejected.code).toBe(2);
    expect(rejected.stdout).toContain('rejected');
    expect(rejected.stderr).toContain('inputBucket');
  });

  it('draws progress bars and the live status line in colour under a pseudo-terminal', async () => {
    const folder = await inputs('tty-inputs', { 'one.bin': randomBytes(3 * 1024 * 1024), 'two.txt': Buffer.from('two') });
    const command = `${process.execPath} ${CLI} run nap/4s --name tty --input ${folder} --input-bucket test.inputs`;
    const run = new CliRun(
      spawn('script', ['-qec', command, '/dev/null'], {
        cwd: workDir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', CLOUD_WORKER_API: system.apiUrl, CLOUD_WORKER_TOKEN: TEST_ADMIN_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const { code, stdout } = await run.result();
    expect(code).toBe(0);
    // The upload's byte progress, as bars (cli-progress) with sizes.
    expect(stdout).toMatch(/uploading \d\/2 files +\u2588+ 100% \| 3\.1 MB\/3\.1 MB \| /);
    // The status line is redrawn in place (carriage return, erase line) with the elapsed time, in colour.
    expect(stdout).toMatch(/\r\x1b\[K\x1b\[36mrunning\x1b\[39m for \d/);
    expect(stdout).toContain('\x1b[32msucceeded\x1b[39m');
  });
});
