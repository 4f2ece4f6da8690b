import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { OutputFormat } from '../format.js';
import type { Terminal } from '../terminal.js';

/** What every command works with. */
export interface Context {
  client: ApiClient;
  terminal: Terminal;
  format: OutputFormat;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job id argument: a UUID (checked here, so that a typo is a usage error and not a 400). */
export function jobId(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('a job id is a UUID, e.g. 5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11');
  return value.toLowerCase();
}

/** An integer option within bounds. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
    }
    return number;
  };
}

/** Repeated options collect into a list (`--input a --input b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
