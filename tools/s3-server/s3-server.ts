import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { accessesOf } from './request-access.js';
import { SignatureError } from './signature.js';
import { answerSts, Users, type Caller, type KeyRegistry, type S3User } from './users.js';

export type { S3User } from './users.js';

const require = createRequire(import.meta.url);
// s3rver is CommonJS without types; only the pieces used here are typed.
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverApp;
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: KeyRegistry };

interface S3rverApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  store: {
    getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
    getResourcePath(bucket: string, key: string, resource: string): string;
    deleteObject(bucket: string, key: string): Promise<void>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  };
}

interface StoredObject {
  bucket: string;
  key: string;
  metadata: unknown;
  content: Buffer | NodeJS.ReadableStream;
}

export interface S3ServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Where objects are kept; a fresh temporary directory (removed on stop) when absent. */
  directory?: string;
  /** The admin's keys (the apps'): it may do everything. */
  accessKey?: string;
  secretKey?: string;
  /** Users whose requests their policies decide on (users.ts); more can be added with `addUser`. */
  users?: S3User[];
}

/** What the apps and a test's clients need of the S3 test server, whether it runs in this process or in one of its own (process.ts). */
export interface S3Endpoint {
  endpoint: string;
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Adds (or replaces) a user with a policy; a server in another process has it once the promise resolves. */
  addUser(user: S3User): void | Promise<void>;
  stop(): Promise<void>;
}

export interface S3Server extends S3Endpoint {
  /** Every request as `METHOD path?query`, for tests that count S3 requests. */
  requests: string[];
  addUser(user: S3User): void;
  /** From now on every request on the bucket (and its objects) answers 403 AccessDenied, as S3 does for a bucket policy that denies. */
  deny(bucket: string): void;
  /** Undoes `deny`. */
  allow(bucket: string): void;
}

/**
 * An S3-compatible server for tests and local runs: s3rver behind a thin front that adds what MinIO and
 * AWS S3 have and s3rver lacks: conditional writes (`If-Match`, `If-None-Match: *`), which the job record
 * store relies on, whole-object reads while a put is under way, and an empty answer to `GET ?uploads` (the
 * minio client asks it before multipart uploads). Tests can deny a bucket (403 AccessDenied) to fake a store
 * that refuses a write for good. Access is MinIO's: users with IAM policies and STS AssumeRole (users.ts), V4
 * signatures checked (signature.ts), and object names that would climb out of the data folder refused.
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const accessKey = options.accessKey ?? 'minioadmin';
  const secretKey = options.secretKey ?? 'minioadmin';
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 's3-')));

  const s3rver = new S3rver({ directory, silent: true });
  keepDirectories(s3rver);
  writeObjectsBeforeAnswering(s3rver);
  const handle = s3rver.callback();
  const keyLocks = new KeyedMutex();
  const requests: string[] = [];
  const denied = new Set<string>();

  const users = new Users(accessKey, secretKey, DUMMY_ACCOUNT);
  for (const user of options.users ?? []) users.add(user);

  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const target = parseTarget(req.url ?? '/');
    if ('invalid' in target) return sendXml(res, 400, errorXml(target.code, target.invalid, ''));
    const { bucket, key } = target;
    if (req.method === 'POST' && !bucket && isForm(req)) return void answerSts(req, res, users);
    let caller: Caller;
    try {
      caller = users.authenticate(req);
    } catch (error) {
      // An unknown access key is s3rver's to answer (InvalidAccessKeyId, which a HEAD answer must carry as a status).
      if (error instanceof SignatureError && error.code === 'InvalidAccessKeyId') return handle(req, res);
      const { status, code, message } = error as { status?: number; code: string; message: string };
      return sendXml(res, status ?? 403, errorXml(code, message, key));
    }
    const url = new URL(req.url ?? '/', 'http://s3');
    if (denied.has(bucket) || !caller.allows(accessesOf(req, bucket, key, url.searchParams))) return sendXml(res, 403, accessDeniedXml(url.pathname));
    if (req.method === 'GET' && url.searchParams.has('uploads') && !key) {
      return sendXml(res, 200, emptyUploadListing(bucket));
    }
    if (!key) return handle(req, res);
    // Listened for from the start: a client that goes away while its request waits for the key (a killed app)
    // closes the response before its turn, and the key must not stay locked for ever.
    const closed = new Promise<void>((resolve) => res.on('close', resolve));
    // Requests for one key are serialised: a precondition checked here still holds when s3rver writes, and a
    // read never sees a half-written file (s3rver writes in place; S3 and MinIO replace objects atomically).
    void keyLocks.run(`${bucket}/${key}`, async () => {
      if (res.destroyed) return;
      const failure = await checkPreconditions(s3rver, bucket, key, req);
      if (failure) return sendXml(res, failure.status, errorXml(failure.code, failure.message, key));
      handle(req, res);
      await closed;
    });
  });
  // A port in use fails the start, rather than crashing the process with an unhandled 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    endpoint: `http://${host}:${port}`,
    host,
    port,
    accessKey,
    secretKey,
    requests,
    addUser: (user) => users.add(user),
    deny: (bucket) => void denied.add(bucket),
    allow: (bucket) => void denied.delete(bucket),
    async stop() {
      await closeServer(server);
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The bucket and key a request names, decoded; a name with a `.` or `..` segment (or a backslash, a separator on
 * some systems) is refused as MinIO refuses it (XMinioInvalidObjectName), since s3rver keeps objects as files
 * and would read or write outside its folder.
 */
function parseTarget(rawUrl: string): { bucket: string; key: string } | { invalid: string; code: string } {
  const [bucketPart = '', ...keyParts] = rawUrl.split('?')[0].slice(1).split('/');
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(bucketPart);
    key = decodeURIComponent(keyParts.join('/'));
  } catch {
    return { invalid: 'The request path is not valid percent-encoding.', code: 'InvalidURI' };
  }
  if (/[/\\]/.test(bucket) || bucket === '.' || bucket === '..') return { invalid: 'The specified bucket is not valid.', code: 'InvalidBucketName' };
  if (key.split(/[/\\]/).some((segment) => segment === '.' || segment === '..')) {
    return { invalid: 'Object name contains unsupported characters.', code: 'XMinioInvalidObjectName' };
  }
  return { bucket, key };
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

async function checkPreconditions(s3rver: S3rverApp, bucket: string, key: string, req: IncomingMessage) {
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  if (req.method !== 'PUT' || (ifMatch === undefined && ifNoneMatch === undefined)) return undefined;
  const current = await s3rver.store.getMetadata(bucket, key).then(
    (metadata) => unquote(metadata.etag),
    () => undefined,
  );
  if (ifNoneMatch === '*' && current !== undefined) {
    return { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' };
  }
  if (ifMatch !== undefined && current === undefined) {
    return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
  }
  if (ifMatch !== undefined && ifMatch !== '*' && unquote(ifMatch) !== current) {
    return { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' };
  }
  return undefined;
}

/**
 * s3rver removes a folder when its last object is deleted; a write into that folder at the same moment then fails
 * outside any request, and the error takes the whole process down. S3 has no folders to remove, so here a
 * delete removes the object's files only.
 */
function keepDirectories(s3rver: S3rverApp): void {
  const { store } = s3rver;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

/**
 * s3rver answers a put of a buffered body before its file is written, and nothing listens for that write's
 * errors: a reader can then see half an object, and a failed write ends the process. Here the answer waits for
 * the write, a failure fails the request only, and as requests for one key are serialised, every reader sees a
 * whole object, as S3 replaces objects whole.
 */
function writeObjectsBeforeAnswering(s3rver: S3rverApp): void {
  const { store } = s3rver;
  store.putObject = async (object) => {
    const content = Buffer.isBuffer(object.content) ? object.content : await readAll(object.content);
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    await writeFile(objectPath, content);
    const md5 = createHash('md5').update(content).digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Runs tasks for one key one after another; tasks for different keys run concurrently. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task).catch(() => undefined);
    this.tails.set(key, current);
    void current.then(() => {
      if (this.tails.get(key) === current) this.tails.delete(key);
    });
    return current;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function emptyUploadListing(bucket: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`;
}

function errorXml(code: string, message: string, key: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key></Error>`;
}

/** S3's answer to a request a policy denies (a HEAD gets the status alone; the client names it AccessDenied then). */
function accessDeniedXml(resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><Resource>${resource}</Resource><RequestId>denied</RequestId></Error>`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}
