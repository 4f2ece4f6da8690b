import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi, KubeApiError, type KubeVerb } from './kube-api.js';

const TOKEN = 'the-service-account-token';

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
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: TOKEN }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    kube = new KubeApi(kubeConfig, { requestTimeoutMs: 5000, onRequest: (...call) => void counted.push(call) });
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
    const unauthenticated = new KubeConfig();
    unauthenticated.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    const refused = await new KubeApi(unauthenticated, { requestTimeoutMs: 5000 }).getJob('default', 'probe').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });
});
