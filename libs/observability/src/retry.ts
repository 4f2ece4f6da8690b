import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';

export interface RetryDelays {
  /** The first pause; each next one grows exponentially, with jitter. */
  initialDelayMs: number;
  /** The cap: no pause is longer. */
  maxDelayMs: number;
}

/** The system's one backoff (cockatiel's exponential backoff with decorrelated jitter, capped), for loops of its own. */
export function backoff(delays: RetryDelays): ExponentialBackoff<unknown> {
  return new ExponentialBackoff({ initialDelay: delays.initialDelayMs, maxDelay: delays.maxDelayMs });
}

/**
 * The system's one retry policy: an operation failing with an error `retryable` accepts is tried again after
 * the backoff's pause, for as long as it takes (or until the signal passed to `execute` aborts); any other
 * error ends it. Every code path that retries goes through here or through `backoff`, never a loop of its own.
 */
export function retryPolicy(retryable: (error: Error) => boolean, delays: RetryDelays): RetryPolicy {
  return retry(handleWhen(retryable), { backoff: backoff(delays) });
}
