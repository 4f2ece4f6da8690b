import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

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
