import { isPermanentKubeError } from '@app/kube';
import { isPermanentStorageError } from '@app/storage';
import { retryPolicy } from '@app/observability';
import type { RetryPolicy } from 'cockatiel';

export type FailureKind = 'transient' | 'permanent';

/**
 * Whether a failed step may pass by trying again (a dependency unreachable, slow or overloaded: back off and
 * retry for as long as it takes) or will fail the same way every time (a refusal: give up after a few tries and
 * end the job, or dead-letter its message, with the reason). An error of unknown kind counts as permanent, so
 * that a bug can never hold a message for ever; it is still tried `MAX_FAILED_ATTEMPTS` times.
 */
export function classifyFailure(error: unknown): FailureKind {
  if (isPermanentKubeError(error) || isPermanentStorageError(error)) return 'permanent';
  // fetch reports a failed connection as a TypeError whose cause says what failed.
  return isTransient(error) || isTransient((error as { cause?: unknown } | undefined)?.cause) ? 'transient' : 'permanent';
}

/**
 * Network failures, time-outs, server errors and throttling, as the clients in use report them: system errors
 * (`ECONNRESET`), undici's, Node's HTTP parser's (`HPE_…`: an answer cut or mangled on the way) and TLS failures
 * (a certificate expired or not yet trusted is an outage an administrator ends, as with node-fetch before,
 * which wrapped them all as `FetchError`).
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { name, code, statusCode } = error as Error & { code?: unknown; statusCode?: unknown };
  if (name === 'AbortError' || name === 'TimeoutError' || name === 'PublishUnavailableError' || name === 'FetchError') return true;
  if (name === 'KubeApiError' || name === 'S3Error' || typeof statusCode === 'number') return true;
  return typeof code === 'string' && TRANSIENT_CODE.test(code);
}

const TRANSIENT_CODE = /^(E[A-Z]+|UND_ERR_\w+|HPE_\w+|ERR_TLS_\w+|ERR_SSL_\w+|ERR_STREAM_PREMATURE_CLOSE|CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/;

/** A failure described in one line, for a log line, a job's reason note or a dead-letter header. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code } = error as Error & { code?: unknown };
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/**
 * The one retry policy for steps outside the reconcile's own queue (dead letters, the list of Jobs at start):
 * outages are retried with the reconcile's backoff, refusals are not.
 */
export function retryOutages(delays: { RETRY_BASE_DELAY_MS: number; RETRY_MAX_DELAY_MS: number }): RetryPolicy {
  return retryPolicy((error) => classifyFailure(error) === 'transient', { initialDelayMs: delays.RETRY_BASE_DELAY_MS, maxDelayMs: delays.RETRY_MAX_DELAY_MS });
}
