import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from './logging.module.js';

/**
 * Liveness, alike in both apps: the process is up and serving HTTP. No dependency is checked, or an outage of one
 * would have every pod restarted.
 */
export function liveness(indicators: HealthIndicatorService, details: Record<string, unknown> = {}): HealthIndicatorResult<'process'> {
  return indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()), ...details });
}

/** A part of readiness judged from state the app keeps (its connections, a watch): up when `healthy`, the state as details. */
export function upWhen<Key extends string>(indicators: HealthIndicatorService, key: Key, healthy: boolean, state: Record<string, unknown>): HealthIndicatorResult<Key> {
  const indicator = indicators.check(key);
  return healthy ? indicator.up(state) : indicator.down(state);
}

/**
 * Readiness as a log: a line when it changes (ready → not ready, naming each part down and why; back to ready),
 * and when the parts that are down change, instead of Terminus's error line on every probe (a kubelet probes every
 * few seconds, so an outage of a minute would fill the log). Terminus's own logging is turned off for this.
 */
@Injectable()
export class ReadinessLog {
  /** What was last logged: `ready`, or the parts down with their reasons. */
  private last: string | undefined;

  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  /** Passes the check's result (or its 503) through, logging a change of readiness. */
  async track(check: Promise<HealthCheckResult>): Promise<HealthCheckResult> {
    try {
      const result = await check;
      this.note(result);
      return result;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) this.note(error.getResponse() as HealthCheckResult);
      throw error;
    }
  }

  private note(result: HealthCheckResult): void {
    const down = Object.fromEntries(Object.entries(result.error ?? {}).map(([part, details]) => [part, reasonOf(details ?? {})]));
    const now = Object.keys(down).length === 0 ? 'ready' : JSON.stringify(down);
    if (now === this.last) return;
    const first = this.last === undefined;
    this.last = now;
    if (now === 'ready') this.logger.info(first ? 'ready' : 'ready again');
    else this.logger.warn({ down }, `not ready: ${Object.entries(down).map(([part, reason]) => `${part} (${reason})`).join(', ')}`);
  }
}

/** A part's reason in a few words: its message, or its state (`{"work":false,"control":true}`). */
function reasonOf({ status: _status, ...details }: Record<string, unknown>): string {
  return typeof details.message === 'string' ? details.message : JSON.stringify(details);
}
