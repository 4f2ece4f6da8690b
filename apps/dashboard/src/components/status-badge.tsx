import type { JobStatus } from '../../../../libs/contracts/src/job-record.js';
import { STATUS_LABELS } from '../format.js';

/** A status in its colour and in words, so that it never rests on colour alone. */
export function StatusBadge({ status }: { status: JobStatus }) {
  return <span class={`status status-${status}`}>{STATUS_LABELS[status]}</span>;
}
