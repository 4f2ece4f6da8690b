import type { JobRecord } from '../../../libs/contracts/src/job-record.js';
import { CANNOT_START_REASONS } from '../../../libs/kube/src/job-verdict.js';

/**
 * The CLI's exit codes: 0–4 mirror the job, 10 and up are the client's own errors, so that a script can tell a
 * job that failed from a CLI that could not ask.
 */
export const ExitCode = {
  SUCCEEDED: 0,
  FAILED: 1,
  /** Refused (validation, image policy, a replayed id with other work, the submission rate) or could not start (image pull, …). */
  REFUSED: 2,
  TIMED_OUT: 3,
  CANCELLED: 4,
  /** Bad arguments or flags. */
  USAGE: 10,
  /** The api did not answer (connection refused, unknown host, a broken connection). */
  UNREACHABLE: 11,
  /** 401 or 403: no token, a bad one, or one without the role. */
  UNAUTHORIZED: 12,
  /** 404: no such job (or another owner's), or nothing there yet. */
  NOT_FOUND: 13,
  /** Any other answer the command cannot use (409 on cancel of an ended job, 5xx, …). */
  API_ERROR: 14,
  /** A local file or folder could not be read or written. */
  LOCAL_FILE: 15,
  /** Ctrl-C: the CLI stopped, the job (if any) keeps running. 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;

/**
 * Why a Job could not start, as the worker records it: the kubelet's waiting reasons the worker fails fast on, and
 * the worker's own JobNotCreated and CredentialsNotIssued (apps/cloud-worker/src/lifecycle/outcome.ts; not
 * imported, as that file pulls in the Kubernetes client).
 */
const NOT_STARTED_REASONS: ReadonlySet<string> = new Set([...CANNOT_START_REASONS, 'JobNotCreated', 'CredentialsNotIssued']);

/** The exit code a job's end stands for; undefined while it is queued or running. */
export function exitCodeOf(record: Pick<JobRecord, 'status' | 'reason'>): number | undefined {
  switch (record.status) {
    case 'succeeded':
      return ExitCode.SUCCEEDED;
    case 'failed':
      return record.reason !== null && NOT_STARTED_REASONS.has(record.reason) ? ExitCode.REFUSED : ExitCode.FAILED;
    case 'timed_out':
      return ExitCode.TIMED_OUT;
    case 'cancelled':
      return ExitCode.CANCELLED;
    default:
      return undefined;
  }
}

/** An error that ends the CLI with its message on stderr and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The exit code of an api answer that is an error: what the status says about who is at fault. */
export function exitCodeOfStatus(status: number, refusals: readonly number[] = []): number {
  if (refusals.includes(status)) return ExitCode.REFUSED;
  if (status === 401 || status === 403) return ExitCode.UNAUTHORIZED;
  if (status === 404) return ExitCode.NOT_FOUND;
  return ExitCode.API_ERROR;
}
