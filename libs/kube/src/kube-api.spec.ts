import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi, KubeApiError, type KubeVerb } from './kube-api.js';

const TOKEN = 'the-service-account-token';

/** A kubeconfig for the test server, with a bearer token or without credentials. */
function kubeConfigOf(server: Server, token?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', ...(token && { token }) }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kubeConfig;
}

/**
 * The Kubernetes simulator takes any caller; a real API server does not. This one answers only requests that carry
 * the kubeconfig's bearer token (401 otherwise), and records what each request sent.
 */
describe('KubeApi against an API server that requires its token', () => {
  let server: Server;
  let kube: KubeApi;
  const seen: Array<{ method: string; url: string; authorization?: string; contentType?: string; body: string }> = [];
  const counted: Array<[KubeVerb, string, number | 'error']> = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, contentType: request.headers['content-type'], body });
        const send = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (request.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' });
        if (request.url!.includes('/jobs/missing')) return send(404, { kind: 'Status', reason: 'NotFound', message: 'jobs.batch "missing" not found' });
        if (request.method === 'POST') return send(201, { ...JSON.parse(body), metadata: { ...JSON.parse(body).metadata, uid: 'u-1' } });
        if (request.url!.startsWith('/api/v1/namespaces/default/pods/p/log')) return response.writeHead(200, { 'content-type': 'text/plain' }).end('line 1\n');
        send(200, { kind: 'Job', metadata: { name: 'probe', creationTimestamp: '2026-12-06T00:00:00Z' } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kube = new KubeApi(kubeConfigOf(server, TOKEN), { requestTimeoutMs: 5000, onRequest: (...call) => void counted.push(call) });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends the token with every call, the JSON it is given, and answers with the JSON the server sent', async () => {
    const created = await kube.createJob('default', { metadata: { name: 'probe' } });
    expect(created.metadata).toEqual({ name: 'probe', uid: 'u-1' });
    expect((await kube.getJob('default', 'probe'))?.metadata?.creationTimestamp).toBe('2026-12-06T00:00:00Z');
    await kube.patchJob('default', 'probe', [{ op: 'add', path: '/spec/ttlSecondsAfterFinished', value: 30 }]);
    await kube.listPods('default', 'job-name=probe');
    const log = await kube.openPodLog('default', 'p', 'probe', 1024);
    expect(Buffer.concat(await log!.toArray()).toString()).toBe('line 1\n');
    expect(seen.map(({ authorization }) => authorization)).toEqual(Array(5).fill(`Bearer ${TOKEN}`));
    expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'POST /apis/batch/v1/namespaces/default/jobs',
      'GET /apis/batch/v1/namespaces/default/jobs/probe',
      'PATCH /apis/batch/v1/namespaces/default/jobs/probe',
      'GET /api/v1/namespaces/default/pods?labelSelector=job-name%3Dprobe',
      'GET /api/v1/namespaces/default/pods/p/log?container=probe&limitBytes=1024',
    ]);
    expect(seen[2]).toMatchObject({ contentType: 'application/json-patch+json', body: '[{"op":"add","path":"/spec/ttlSecondsAfterFinished","value":30}]' });
    expect(counted.slice(0, 4)).toEqual([['create', 'jobs', 201], ['get', 'jobs', 200], ['patch', 'jobs', 200], ['list', 'pods', 200]]);
  });

  it("answers a missing object as undefined, and any other refusal as a KubeApiError with the server's reason", async () => {
    expect(await kube.getJob('default', 'missing')).toBeUndefined();
    expect(await kube.deleteJob('default', 'missing')).toBe(false);
    const refused = await new KubeApi(kubeConfigOf(server), { requestTimeoutMs: 5000 }).getJob('default', 'probe').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });
});

/** A server that answers late or not at all, to hold `KubeApi` to its time-out (200 ms here). */
describe('KubeApi against an API server that goes silent', () => {
  const TIMEOUT_MS = 200;
  let server: Server;
  let kube: KubeApi;
  const counted: Array<[KubeVerb, string, number | 'error']> = [];
  const held: Array<() => void> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      held.push(() => response.destroy());
      const url = request.url!;
      // A create in namespace "hung" is never answered.
      if (url.startsWith('/apis/batch/v1/namespaces/hung/')) return;
      // A log that sends one line, then nothing.
      if (url.startsWith('/api/v1/namespaces/default/pods/silent/log')) return void response.writeHead(200, { 'content-type': 'text/plain' }).write('line 1\n');
      // A watch quieter than the time-out between its two events.
      if (url.startsWith('/api/v1/namespaces/quiet/pods')) {
        response.writeHead(200, { 'content-type': 'application/json' }).write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
        const later = setTimeout(() => response.end(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'a' } } })}\n`), TIMEOUT_MS * 3);
        held.push(() => clearTimeout(later));
        return;
      }
      // A watch whose answer never comes.
      if (url.startsWith('/api/v1/namespaces/unanswered/pods')) return;
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kube = new KubeApi(kubeConfigOf(server, TOKEN), { requestTimeoutMs: TIMEOUT_MS, onRequest: (...call) => void counted.push(call) });
  });
  afterAll(() => {
    for (const release of held) release();
    return new Promise((resolve) => server.close(resolve));
  });

  it('fails a call the server never answers with a TimeoutError, counted as an error', async () => {
    const failed = await kube.createJob('hung', { metadata: { name: 'probe' } }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'TimeoutError', message: `the Kubernetes API did not answer within ${TIMEOUT_MS} ms` });
    expect(counted).toContainEqual(['create', 'jobs', 'error']);
  });

  it('fails a log stream that goes silent, after what it sent', async () => {
    const log = await kube.openPodLog('default', 'silent', 'main', 1024);
    const chunks: Buffer[] = [];
    const failed = await new Promise<Error>((resolve) => {
      log!.on('data', (chunk: Buffer) => chunks.push(chunk));
      log!.once('error', resolve);
    });
    expect(Buffer.concat(chunks).toString()).toBe('line 1\n');
    expect(failed).toMatchObject({ name: 'TimeoutError', message: `the Kubernetes API sent nothing for ${TIMEOUT_MS} ms` });
  });

  it('keeps a watch that is quiet for longer than the time-out', async () => {
    const events: string[] = [];
    await kube.watch<{ metadata: { name: string } }>('/api/v1/namespaces/quiet/pods', {}, { onConnected: () => undefined, onEvent: (event) => void events.push(event.type) }, new AbortController().signal);
    expect(events).toEqual(['ADDED', 'MODIFIED']);
  });

  it('gives up a watch when its signal aborts before the server answers', async () => {
    const stop = new AbortController();
    const watching = kube.watch('/api/v1/namespaces/unanswered/pods', {}, { onConnected: () => undefined, onEvent: () => undefined }, stop.signal).catch((error: unknown) => error);
    stop.abort();
    expect(await watching).toMatchObject({ name: 'AbortError' });
  });
});
