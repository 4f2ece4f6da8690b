// Issue 12's doors on the real system: who may call the api (static tokens and JWTs, checked against a key set this
// test serves and rotates), whose jobs a caller sees, the submission rate, the owner of requests sent over AMQP,
// and the audit trail of it all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord } from '@app/contracts';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenListEntry } from '../tools/local-stack/api-tokens.js';
import { AppProcess } from '../tools/local-stack/app-process.js';
import { ApiClient, type Answer } from './support/http.js';
import { authEnv, eventually, napImages, TestSystem } from './support/system.js';

interface Page {
  jobs: JobRecord[];
  nextCursor: string | null;
}

const ISSUER = 'https://login.example.org/realms/mstc';
const AUDIENCE = 'cloud-worker';
const RATE = 4;
const TOKENS = { alice: 'alice-e2e-token', bob: 'bob-e2e-token', reader: 'reader-e2e-token', eager: 'eager-e2e-token' };
const WORK = { image: 'nap/long', jobName: 'owned', inputBucket: 'auth.inputs' };

/** Signing keys and the key set served for them; `publish` replaces what the issuer publishes. */
class Issuer {
  private server!: Server;
  private published: JWK[] = [];
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_request, response) => response.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: this.published })));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/protocol/openid-connect/certs`;
  }

  async newKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  }

  publish(...keys: Array<{ jwk: JWK }>): void {
    this.published = keys.map((key) => key.jwk);
  }

  sign(key: { kid: string; privateKey: CryptoKey }, claims: Record<string, unknown>, expires: string | number = '5m'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime(expires).sign(key.privateKey);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('authentication, owners and limits', () => {
  let system: TestSystem;
  let issuer: Issuer;
  /** The issuer's key at the start, published before the api first fetches the key set. */
  let firstKey: Awaited<ReturnType<Issuer['newKey']>>;
  let admin: ApiClient;
  const as = (token: string | null) => new ApiClient(() => system.apiUrl, token);
  const alice = () => as(TOKENS.alice);
  const bob = () => as(TOKENS.bob);
  const ids = (answer: Answer<Page>) => answer.body.jobs.map((job) => job.id);
  /** The audit entries an app has logged so far. */
  const audited = (app: 'api' | 'worker') =>
    (app === 'api' ? system.api!.lines : system.workers[0].lines).flatMap((line) => (line.audit ? [line.audit as Record<string, unknown>] : []));
  /** Waits for the app to log these audit entries (among others): log lines are written after the answer. */
  const untilAudited = (app: 'api' | 'worker', entries: Array<Record<string, unknown>>) =>
    eventually(() => entries.every((entry) => audited(app).some((seen) => JSON.stringify(seen) === JSON.stringify(entry))), 10_000, `audit entries ${JSON.stringify(entries)}`);

  beforeAll(async () => {
    issuer = new Issuer();
    await issuer.start();
    firstKey = await issuer.newKey('first');
    issuer.publish(firstKey);
    system = await TestSystem.start({
      workers: 1,
      sim: { images: napImages({ 'nap/long': 120_000 }) },
      env: {
        ...authEnv(
          tokenListEntry('alice', ['submit', 'read', 'cancel'], TOKENS.alice),
          tokenListEntry('bob', ['submit', 'read', 'cancel'], TOKENS.bob),
          tokenListEntry('reader', ['read'], TOKENS.reader),
          tokenListEntry('eager', ['submit'], TOKENS.eager),
        ),
        SUBMIT_RATE_PER_MINUTE: String(RATE),
        OIDC_ISSUER: ISSUER,
        OIDC_AUDIENCE: AUDIENCE,
        OIDC_JWKS_URL: issuer.url,
        OIDC_OWNER_CLAIM: 'preferred_username',
        OIDC_ROLES_CLAIM: 'realm_access.roles',
        AMQP_DEFAULT_OWNER: 'mstc-clients',
        LOG_LEVEL: 'info',
      },
    });
    admin = new ApiClient(() => system.apiUrl);
  });
  afterAll(async () => {
    await system?.stop();
    await issuer?.stop();
  });

  it('refuses to start on a bad token list, naming the entry', async () => {
    const list = [tokenListEntry('alice', ['submit'], 'a'), { ...tokenListEntry('bob', ['read', 'superuser'], 'b') }, tokenListEntry('alice', ['read'], 'c')];
    const api = AppProcess.start('api', { AUTH_TOKENS: JSON.stringify(list) });
    expect(await api.exited).toBe(78);
    expect(api.lines.map((line) => line.stderr ?? '').join('')).toContain('Invalid environment variables: AUTH_TOKENS entry 2 ("bob"): unknown role "superuser" (roles are submit, read, cancel, admin)');
  });

  describe('401 and 403', () => {
    it('refuses a request without a token, with a Bearer challenge and a body naming the problem', async () => {
      const answer = await as(null).request('GET', '/jobs');
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="cloud-worker"');
      expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'This request needs a bearer token in its Authorization header' });
      expect((await as(null).request('GET', '/health/ready')).status).toBe(200);
      expect((await as(null).request('GET', '/docs/openapi.json')).status).toBe(200);
    });

    it('refuses a token it does not know, and an expired JWT, as invalid tokens', async () => {
      const unknown = await as('guessed-token').submit(WORK);
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="cloud-worker", error="invalid_token"/);
      expect(unknown.body).toMatchObject({ message: 'The bearer token is not valid' });

      const expired = await as(await issuer.sign(firstKey, { preferred_username: 'carol', realm_access: { roles: ['read'] } }, Math.floor(Date.now() / 1000) - 120)).request('GET', '/jobs');
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="cloud-worker", error="invalid_token", error_description="the token has expired"');
      expect(expired.body).toMatchObject({ message: 'The token has expired' });
    });

    it('answers 403 naming the role a request needs', async () => {
      const answer = await as(TOKENS.reader).submit(WORK);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ statusCode: 403, message: 'This request needs the role "submit" (or admin); the token of reader has read' });
      expect((await as(TOKENS.eager).request('GET', '/jobs')).body).toMatchObject({ message: expect.stringContaining('needs the role "read"') });
      expect((await as(TOKENS.reader).request('DELETE', `/jobs/${randomUUID()}`)).body).toMatchObject({ message: expect.stringContaining('needs the role "cancel"') });
    });
  });

  describe('owners', () => {
    let alices: JobRecord;
    let bobs: JobRecord;

    beforeAll(async () => {
      const first = await alice().submit(WORK);
      const second = await bob().submit({ ...WORK, jobName: 'bobs' });
      expect([first.status, second.status]).toEqual([202, 202]);
      [alices, bobs] = [first.body, second.body];
      await admin.untilStatus(alices.id, ['running']);
    });

    it('records the caller as the owner', () => {
      expect(alices.owner).toBe('alice');
      expect(bobs.owner).toBe('bob');
    });

    it("answers another owner's job 404 exactly as an unknown id, on get, log and cancel", async () => {
      const unknown = randomUUID();
      for (const [method, path] of [['GET', '/jobs/:id'], ['GET', '/jobs/:id/log'], ['DELETE', '/jobs/:id'], ['GET', '/job_status?job_id=:id']] as const) {
        const theirs = await bob().request(method, path.replace(':id', alices.id));
        const none = await bob().request(method, path.replace(':id', unknown));
        expect({ status: theirs.status, body: theirs.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `No job with id ${alices.id}` } });
        expect({ status: none.status, body: none.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `No job with id ${unknown}` } });
      }
      expect((await admin.record(alices.id)).status).toBe('running');
    });

    it("lists only the caller's own jobs; an admin sees everyone's", async () => {
      for (const path of ['/jobs', '/incomplete_jobs', '/inprogress_jobs', '/jobs?status=running,queued']) {
        expect(ids(await bob().request<Page>('GET', path))).not.toContain(alices.id);
        expect(ids(await alice().request<Page>('GET', path))).not.toContain(bobs.id);
      }
      expect(ids(await alice().request<Page>('GET', '/jobs'))).toContain(alices.id);
      expect(ids(await admin.request<Page>('GET', '/jobs'))).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    });

    it('lets the owner and an admin cancel, and writes the audit trail', async () => {
      expect(await alice().request('DELETE', `/jobs/${alices.id}`)).toMatchObject({ status: 202, body: { status: 'cancelled' } });
      expect(await admin.request('DELETE', `/jobs/${bobs.id}`)).toMatchObject({ status: 202, body: { status: 'cancelled' } });
      await untilAudited('api', [
        { action: 'submit', owner: 'alice', source: 'http', id: alices.id, image: 'nap/long' },
        { action: 'cancel', owner: 'alice', source: 'http', id: alices.id, image: 'nap/long' },
        { action: 'cancel', owner: 'admin', source: 'http', id: bobs.id, image: 'nap/long' },
        { action: 'deny', owner: 'bob', source: 'http', id: alices.id, status: 404, reason: "another owner's job" },
        { action: 'deny', owner: null, source: 'http', status: 401, reason: 'GET /jobs: this request needs a bearer token in its Authorization header' },
        { action: 'deny', owner: null, source: 'http', status: 401, reason: 'GET /jobs: the token has expired' },
        { action: 'deny', owner: 'reader', source: 'http', status: 403, reason: 'POST /jobs: missing role submit' },
      ]);
    });
  });

  it('limits submissions per owner per minute: 429 with Retry-After, while others go on', async () => {
    const eager = as(TOKENS.eager);
    for (let i = 0; i < RATE; i++) expect((await eager.submit({ ...WORK, jobName: `eager-${i}` })).status).toBe(202);
    const over = await eager.submit({ ...WORK, jobName: 'eager-over' });
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringContaining(`eager may submit ${RATE} requests per minute`) });
    await untilAudited('api', [{ action: 'deny', owner: 'eager', source: 'http', status: 429, reason: `over ${RATE} submissions per minute` }]);
    expect((await bob().submit({ ...WORK, jobName: 'not-eager' })).status).toBe(202);
  });

  it("accepts the issuer's JWTs, owner and roles from the configured claims, and a rotated key once the issuer publishes it", async () => {
    const first = firstKey;
    const claims = { preferred_username: 'dana', realm_access: { roles: ['submit', 'read', 'offline_access'] } };
    const submitted = await as(await issuer.sign(first, claims)).submit({ ...WORK, jobName: 'by-jwt' });
    expect(submitted.status).toBe(202);
    expect(submitted.body.owner).toBe('dana');
    expect((await as(await issuer.sign(first, { ...claims, realm_access: { roles: ['read'] } })).submit(WORK)).status).toBe(403);

    // The issuer rotates: a new key is published and the old one withdrawn.
    const second = await issuer.newKey('second');
    issuer.publish(second);
    const rotated = await issuer.sign(second, claims);
    const listed = await eventually(async () => {
      const answer = await as(rotated).request<Page>('GET', '/jobs');
      return answer.status === 200 && answer;
    }, 20_000, 'a token of the new key to be accepted');
    expect(ids(listed)).toEqual([submitted.body.id]);
    const old = await as(await issuer.sign(first, claims)).request('GET', '/jobs');
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it("gives a request sent over AMQP its user_id as owner, else AMQP_DEFAULT_OWNER, and audits it", async () => {
    const [withUser, withoutUser] = [randomUUID(), randomUUID()];
    // RabbitMQ refuses a user_id other than the connection's user (guest here).
    system.publishWork({ ...WORK, id: withUser, jobName: 'amqp-user' }, { userId: 'guest' });
    system.publishWork({ ...WORK, id: withoutUser, jobName: 'amqp-default' });
    const owners = await eventually(async () => {
      const [a, b] = await Promise.all([system.record(withUser), system.record(withoutUser)]);
      return a && b && [a.owner, b.owner];
    }, 20_000, 'both records');
    expect(owners).toEqual(['guest', 'mstc-clients']);
    expect((await as(TOKENS.alice).request('GET', `/jobs/${withUser}`)).status).toBe(404);
    expect((await admin.record(withoutUser)).owner).toBe('mstc-clients');
    await untilAudited('worker', [
      { action: 'submit', owner: 'guest', source: 'amqp', id: withUser, image: 'nap/long' },
      { action: 'submit', owner: 'mstc-clients', source: 'amqp', id: withoutUser, image: 'nap/long' },
    ]);
    for (const id of [withUser, withoutUser]) await admin.request('DELETE', `/jobs/${id}`);
  });
});
