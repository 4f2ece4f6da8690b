import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Who signed a request: its access key, or nobody (an anonymous request). */
export type Signer = { accessKey: string } | { anonymous: true };

export class SignatureError extends Error {
  constructor(
    readonly code: 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AuthorizationHeaderMalformed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a request's AWS Signature Version 4 (header or presigned query), as AWS documents it ("Signature
 * Version 4 signing process", https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * s3rver checks V2 signatures only and takes any V4 signature of a known access key, so without this an access
 * key alone (an identifier, shown freely) would act as its user. The payload hash is taken as the client states
 * it (`x-amz-content-sha256`), as s3rver does not hash bodies either. A V2 signature is left to s3rver.
 */
export function verifySignature(req: IncomingMessage, secretOf: (accessKey: string) => string | undefined): Signer {
  const url = new URL(req.url ?? '/', 'http://s3');
  const authorization = header(req, 'authorization');
  const presigned = url.searchParams.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256';
  if (!authorization && !presigned) {
    const v2Key = url.searchParams.get('AWSAccessKeyId');
    return v2Key ? { accessKey: v2Key } : { anonymous: true };
  }
  if (authorization?.startsWith('AWS ')) return { accessKey: authorization.slice(4).split(':')[0] };
  const parts: { credential: string; signedHeaders: string; signature: string; date?: string } = presigned ? fromQuery(url) : fromHeader(authorization!);
  const [accessKey, ...scope] = parts.credential.split('/');
  const secretKey = secretOf(accessKey);
  if (secretKey === undefined) throw new SignatureError('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.');
  if (scope.length !== 4) throw new SignatureError('AuthorizationHeaderMalformed', `The credential scope ${parts.credential} is malformed.`);
  const signedHeaders = parts.signedHeaders.split(';');
  const canonicalRequest = [
    req.method,
    (req.url ?? '/').split('?')[0],
    canonicalQuery(url, presigned),
    signedHeaders.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/ +/g, ' ')}\n`).join(''),
    parts.signedHeaders,
    presigned ? 'UNSIGNED-PAYLOAD' : (header(req, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD'),
  ].join('\n');
  const date = presigned ? (parts.date ?? '') : (header(req, 'x-amz-date') ?? '');
  const expected = sign(secretKey, date, scope, canonicalRequest);
  const given = Buffer.from(parts.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return { accessKey };
}

/** The signature of a canonical request (hex), as the bytes of its text. */
function sign(secretKey: string, date: string, [day, region, service, terminator]: string[], canonicalRequest: string): Buffer {
  const scope = [day, region, service, terminator].join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = Buffer.from(`AWS4${secretKey}`);
  for (const part of [day, region, service, terminator]) key = createHmac('sha256', key).update(part).digest();
  return Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
}

function fromHeader(authorization: string) {
  const fields = Object.fromEntries(
    authorization
      .replace(/^AWS4-HMAC-SHA256\s+/, '')
      .split(',')
      .map((field) => field.trim().split('=') as [string, string]),
  );
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
    throw new SignatureError('AuthorizationHeaderMalformed', 'The authorization header is malformed; it needs Credential, SignedHeaders and Signature.');
  }
  return { credential: fields.Credential, signedHeaders: fields.SignedHeaders, signature: fields.Signature };
}

function fromQuery(url: URL) {
  const get = (name: string) => url.searchParams.get(name) ?? '';
  return { credential: get('X-Amz-Credential'), signedHeaders: get('X-Amz-SignedHeaders'), signature: get('X-Amz-Signature'), date: get('X-Amz-Date') };
}

/** The query's parameters as sent (already encoded), sorted, each with its `=`; a presigned URL's signature left out. */
function canonicalQuery(url: URL, presigned: boolean): string {
  return url.search
    .slice(1)
    .split('&')
    .filter((element) => element !== '' && !(presigned && element.startsWith('X-Amz-Signature=')))
    .map((element) => (element.includes('=') ? element : `${element}=`))
    .sort()
    .join('&');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
