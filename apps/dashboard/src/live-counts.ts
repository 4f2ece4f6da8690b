import type { JobStatus } from '../../../libs/contracts/src/job-record.js';
import type { JobsSummary } from '../../../libs/contracts/src/jobs-summary.js';

/**
 * The tab counts after one record change, so that they move with the rows between two summaries. The status the
 * job had is the row's when it is shown; otherwise the one before in the usual course (a job first seen queued is
 * new; one seen running was queued; one seen ended was running). A guess that is wrong (a queued job cancelled
 * off the page) lasts until the next summary replaces the counts.
 */
export function countsAfterChange(counts: JobsSummary['counts'], shownAs: JobStatus | undefined, now: JobStatus): JobsSummary['counts'] {
  const before = shownAs ?? (now === 'queued' ? undefined : now === 'running' ? 'queued' : 'running');
  if (before === now) return counts;
  const next = { ...counts, [now]: counts[now] + 1 };
  if (before === undefined) next.all += 1;
  else next[before] = Math.max(0, next[before] - 1);
  return next;
}
