import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ExitCode } from './exit-codes.js';
import { runCli } from './program.js';

const ID = '5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';
const RECORD = {
  id: ID,
  jobName: `nap-${ID}`,
  status: 'failed',
  request: { image: 'mstc/fail', jobName: 'nap', inputBucket: 'naps', outputBucket: 'naps', timeOut: 15 },
  outputBucket: 'naps',
  logObject: `nap-${ID}.log`,
  reason: 'Error',
  exitCode: 3,
  queuedAt: '2026-12-05T12:58:00.000Z',
  startedAt: '2026-12-05T12:58:01.000Z',
  finishedAt: '2026-12-05T12:58:02.000Z',
  updatedAt: '2026-12-05T12:58:02.000Z',
  owner: 'alice',
};

/** Runs the CLI in memory (not a terminal), against `api`. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await runCli(args, { stdout, stderr, env: { CLOUD_WORKER_API: api, CLOUD_WORKER_TOKEN: 'good', ...env } }, tmpdir());
  return { code, stdout: out.join(''), stderr: err.join('') };
}

// An api stand-in over HTTP, answering as the real one does for the few requests these specs make.
let server: Server;
let api = '';
const requests: Array<{ method: string; url: string; authorization?: string; body: string }> = [];

function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
  requests.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body });
  const send = (status: number, value: unknown): void => void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  if (request.headers.authorization !== 'Bearer good') return send(401, { statusCode: 401, error: 'Unauthorized', message: 'The bearer token is not valid' });
  const url = new URL(request.url!, 'http://x');
  if (request.method === 'GET' && url.pathname === `/jobs/${ID}`) return send(200, RECORD);
  if (request.method === 'GET' && url.pathname === '/jobs') return send(200, { jobs: [RECORD], nextCursor: null });
  if (request.method === 'POST' && url.pathname === '/jobs') {
    return send(400, { statusCode: 400, error: 'Bad Request', message: 'Invalid work request: inputBucket is required', errors: [{ field: 'inputBucket', rule: 'isDefined', message: 'inputBucket is required' }] });
  }
  if (request.method === 'DELETE' && url.pathname === `/jobs/${ID}`) return send(409, { statusCode: 409, error: 'Conflict', message: `Job ${ID} has already ended (failed)` });
  send(404, { statusCode: 404, error: 'Not Found', message: `No job with id ${url.pathname.split('/')[2]}` });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => answer(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('the cloud-worker command', () => {
  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['get', 'not-a-uuid'], 'a job id is a UUID'],
    [['ls', '--limit', '0'], 'must be a whole number from 1'],
    [['ls', '--status', 'done'], '--status done: not a status'],
    [['logs', ID, '--tail', 'x'], 'must be a whole number'],
    [['get', ID, '-o', 'yaml'], 'Allowed choices are text, json, name'],
    [['run', 'mstc/sleep'], "required option '--name <jobName>' not specified"],
    [['run', 'mstc/sleep', '--name', 'x', '--input', '/nonexistent/inputs'], '--input /nonexistent/inputs: no such file or folder'],
    [['submit'], 'nothing to submit'],
    [['submit', '--image', 'x', '--env', 'NO_VALUE'], 'takes NAME=VALUE'],
    [['submit', '--image', 'x', '--env', '=value'], 'takes NAME=VALUE'],
    [['submit', '--image', 'x', '--requests', 'gpu=1'], '"gpu=1": give cpu=Q and/or memory=Q'],
    [['submit', '--image', 'x', '--limits', 'cpu=1,cpu=2'], 'cpu is given twice'],
    [['run', 'mstc/sleep', '--name', 'x', '--limits', 'memory'], '"memory": give cpu=Q and/or memory=Q'],
    [['submit', '-f', '/nonexistent/request.json'], '-f /nonexistent/request.json: no such file'],
    [['get', ID, '--api', 'ftp://x'], 'must be http:// or https://'],
  ])('refuses %j as bad arguments (exit 10), saying why on stderr', async (args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('prints help on stdout and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Exit codes:');
    expect(stdout).toContain('run [options] <image>');
  });

  it('sends the token, and prints a record as text, json or its id', async () => {
    const text = await cli(['get', ID]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('status:        failed');
    expect(text.stdout).not.toMatch(/\x1b/);
    expect(requests.at(-1)).toMatchObject({ method: 'GET', url: `/jobs/${ID}`, authorization: 'Bearer good' });
    expect(JSON.parse((await cli(['get', ID, '-o', 'json'])).stdout)).toEqual(RECORD);
    expect((await cli(['-o', 'name', 'get', ID])).stdout).toBe(`${ID}\n`);
  });

  it('finds @latest through the list, and lists as a table or JSON', async () => {
    expect((await cli(['get', '@latest', '-o', 'name'])).stdout).toBe(`${ID}\n`);
    expect(requests.at(-1)!.url).toBe('/jobs?limit=1');
    const listed = await cli(['ls', '--status', 'failed,timed_out', '--limit', '5']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID +NAME +STATUS +REASON +EXIT +SUBMITTED +DURATION +IMAGE$/);
    expect(listed.stdout).toContain(`${ID}  nap   failed  Error   3`);
    expect(requests.at(-1)!.url).toBe('/jobs?status=failed%2Ctimed_out&limit=5');
    expect(JSON.parse((await cli(['ls', '-o', 'json'])).stdout)).toEqual([RECORD]);
  });

  it('exits 2 when the api refuses a submission, with its message', async () => {
    const { code, stderr } = await cli(['submit', '--image', 'mstc/sleep', '--name', 'nap', '--timeout', '5']);
    expect(code).toBe(ExitCode.REFUSED);
    expect(stderr).toContain('400 Bad Request: Invalid work request: inputBucket is required');
    expect(JSON.parse(requests.at(-1)!.body)).toEqual({ image: 'mstc/sleep', jobName: 'nap', timeOut: 5 });
  });

  it("sends --env, --requests, --limits and --arg as the request's env, resources and args, over those of -f", async () => {
    const file = join(tmpdir(), `request-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ image: 'mstc/eap', resources: { requests: { cpu: '1' }, limits: { memory: '1Gi' } }, env: [{ name: 'A', value: 'from file' }], args: ['--from-file'] }));
    await cli(['submit', '-f', file, '--env', 'MODE=full', '--env', 'EMPTY=', '--env', 'URL=a=b', '--limits', 'cpu=4,memory=16Gi', '--arg', '--steps', '--arg', '100']);
    expect(JSON.parse(requests.at(-1)!.body)).toEqual({
      image: 'mstc/eap',
      resources: { requests: { cpu: '1' }, limits: { cpu: '4', memory: '16Gi' } },
      env: [{ name: 'MODE', value: 'full' }, { name: 'EMPTY', value: '' }, { name: 'URL', value: 'a=b' }],
      args: ['--steps', '100'],
    });
    await rm(file);
  });

  it('exits 12 on 401, 13 on an unknown job, 14 on any other refusal', async () => {
    expect(await cli(['get', ID], { CLOUD_WORKER_TOKEN: 'bad' })).toMatchObject({ code: ExitCode.UNAUTHORIZED, stderr: expect.stringContaining('401 Unauthorized: The bearer token is not valid (give a token') });
    expect(await cli(['get', '6e1d2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11'])).toMatchObject({ code: ExitCode.NOT_FOUND, stderr: expect.stringContaining('No job with id') });
    expect(await cli(['cancel', ID])).toMatchObject({ code: ExitCode.API_ERROR, stderr: expect.stringContaining('has already ended') });
  });

  it('exits 11 when the api cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { code, stderr } = await cli(['ls'], { CLOUD_WORKER_API: `http://127.0.0.1:${port}` });
    expect(code).toBe(ExitCode.UNREACHABLE);
    expect(stderr).toContain(`cannot reach the api at http://127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});
