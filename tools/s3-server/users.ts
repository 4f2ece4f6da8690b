import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed, parsePolicy, type AccessRequest, type PolicyDocument } from './policy.js';
import { SignatureError, verifySignature } from './signature.js';

/** A user of the S3 server other than the admin, with its IAM/MinIO policy (a document or its JSON). */
export interface S3User {
  accessKey: string;
  secretKey: string;
  policy: PolicyDocument | string;
}

/** Who made a request, and what it may do. */
export interface Caller {
  allows(accesses: AccessRequest[]): boolean;
}

interface Identity {
  secretKey: string;
  /** Absent for the admin, which may do everything. */
  policy?: PolicyDocument;
  /** Temporary credentials from AssumeRole. */
  session?: { token: string; policy?: PolicyDocument; expiresAt: number };
}

/** A refusal with S3's status and code. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** MinIO's bounds for AssumeRole's DurationSeconds (15 minutes to 365 days), its default an hour. */
const DURATION_SECONDS = { min: 900, max: 365 * 24 * 3600, default: 3600 };
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** s3rver's own list of key pairs: it still answers each request and checks V2 signatures. */
export interface KeyRegistry {
  createKeyPair(accessKey: string, secretKey: string): void;
  revokeAccessKey(accessKey: string): void;
}

/** The admin (the apps' credentials), users with policies, and the temporary credentials AssumeRole hands out. */
export class Users {
  private readonly identities = new Map<string, Identity>();

  constructor(
    adminAccessKey: string,
    adminSecretKey: string,
    private readonly keys: KeyRegistry,
  ) {
    this.identities.set(adminAccessKey, { secretKey: adminSecretKey });
    keys.createKeyPair(adminAccessKey, adminSecretKey);
  }

  add(user: S3User): void {
    this.identities.set(user.accessKey, { secretKey: user.secretKey, policy: parsePolicy(user.policy) });
    this.keys.createKeyPair(user.accessKey, user.secretKey);
  }

  /** The caller of a signed request; anonymous requests may do nothing (MinIO's default, without bucket policies). */
  authenticate(req: IncomingMessage): Caller {
    const signer = verifySignature(req, (accessKey) => this.identities.get(accessKey)?.secretKey);
    if ('anonymous' in signer) return { allows: () => false };
    const identity = this.identities.get(signer.accessKey);
    // A V2 signature's key unknown here: s3rver refuses it.
    if (!identity) throw new SignatureError('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.');
    if (identity.session) checkSession(req, identity.session);
    const policies = [identity.policy, identity.session?.policy].filter((policy): policy is PolicyDocument => policy !== undefined);
    return { allows: (accesses) => accesses.every((access) => isAllowed(access, ...policies)) };
  }

  /**
   * STS AssumeRole as MinIO serves it (https://min.io/docs/minio/linux/developers/security-token-service/AssumeRole.html):
   * a user's own signed request (service `sts`) gets temporary credentials with its policy, narrowed by the
   * session policy given, for DurationSeconds. Temporary credentials cannot ask for more.
   */
  async assumeRole(req: IncomingMessage): Promise<string> {
    const body = await readBody(req);
    const stated = req.headers['x-amz-content-sha256'];
    if (stated !== createHash('sha256').update(body).digest('hex')) throw new Refusal(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match the body.');
    const signer = verifySignature(req, (accessKey) => this.identities.get(accessKey)?.secretKey);
    const parent = 'accessKey' in signer ? this.identities.get(signer.accessKey) : undefined;
    if (!parent) throw new Refusal(403, 'AccessDenied', 'AssumeRole needs a signed request.');
    if (parent.session) throw new Refusal(403, 'AccessDenied', 'Temporary credentials cannot assume a role.');
    const params = new URLSearchParams(body.toString());
    if (params.get('Action') !== 'AssumeRole' || params.get('Version') !== '2011-06-15') {
      throw new Refusal(400, 'InvalidParameterValue', 'Only Action=AssumeRole, Version=2011-06-15 is served.');
    }
    const duration = Number(params.get('DurationSeconds') ?? DURATION_SECONDS.default);
    if (!Number.isInteger(duration) || duration < DURATION_SECONDS.min || duration > DURATION_SECONDS.max) {
      throw new Refusal(400, 'InvalidParameterValue', `DurationSeconds must be an integer from ${DURATION_SECONDS.min} to ${DURATION_SECONDS.max}.`);
    }
    let sessionPolicy: PolicyDocument | undefined;
    try {
      sessionPolicy = params.has('Policy') ? parsePolicy(params.get('Policy')!) : undefined;
    } catch (error) {
      throw new Refusal(400, 'MalformedPolicyDocument', (error as Error).message);
    }
    const accessKey = randomBytes(15).toString('base64url').toUpperCase().replace(/[^A-Z0-9]/g, '0').slice(0, 20);
    const secretKey = randomBytes(30).toString('base64url');
    const token = randomBytes(48).toString('base64url');
    this.forgetExpired();
    const expiresAt = Date.now() + duration * 1000;
    this.identities.set(accessKey, { secretKey, policy: parent.policy, session: { token, policy: sessionPolicy, expiresAt } });
    this.keys.createKeyPair(accessKey, secretKey);
    return `<?xml version="1.0" encoding="UTF-8"?><AssumeRoleResponse xmlns="${STS_NAMESPACE}"><AssumeRoleResult><AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>${accessKey}</AccessKeyId><SecretAccessKey>${secretKey}</SecretAccessKey><SessionToken>${token}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  /** Temporary credentials are dropped once expired, so that a long run does not keep every Job's. */
  private forgetExpired(): void {
    for (const [accessKey, identity] of this.identities) {
      if (identity.session && identity.session.expiresAt <= Date.now()) {
        this.identities.delete(accessKey);
        this.keys.revokeAccessKey(accessKey);
      }
    }
  }
}

/** Answers an STS request (a form POST to `/`): the credentials, or STS's ErrorResponse. */
export async function answerSts(req: IncomingMessage, res: ServerResponse, users: Users): Promise<void> {
  let status = 200;
  let body: string;
  try {
    body = await users.assumeRole(req);
  } catch (error) {
    const refusal = error instanceof Refusal ? error : error instanceof SignatureError ? new Refusal(403, error.code, error.message) : new Refusal(500, 'InternalError', String(error));
    status = refusal.status;
    body = `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>Sender</Type><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message></Error><RequestId>sts</RequestId></ErrorResponse>`;
  }
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A request with temporary credentials must carry their session token, before they expire. */
function checkSession(req: IncomingMessage, session: NonNullable<Identity['session']>): void {
  const url = new URL(req.url ?? '/', 'http://s3');
  const token = req.headers['x-amz-security-token'] ?? url.searchParams.get('X-Amz-Security-Token');
  if (token !== session.token) throw new Refusal(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  if (Date.now() >= session.expiresAt) throw new Refusal(403, 'ExpiredToken', 'The provided token has expired.');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
