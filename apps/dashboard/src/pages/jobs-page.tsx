import { useEffect, useRef, useState } from 'preact/hooks';
import { JOB_STATUSES, type JobRecord, type JobStatus } from '../../../../libs/contracts/src/job-record.js';
import type { JobsSummary } from '../../../../libs/contracts/src/jobs-summary.js';
import type { Api, JobPage as RecordPage } from '../api.js';
import { LoadChart } from '../components/load-chart.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAge, formatDuration, runDuration, STATUS_LABELS } from '../format.js';
import { countsAfterChange } from '../live-counts.js';
import { jobHref, jobsHref, useNow } from '../route.js';

const PAGE_SIZE = 25;
/** A name search reads at most this many of the newest jobs: names are not indexed (README, "The dashboard"). */
const NAME_SEARCH_LIMIT = 500;
/** How often the counts and the chart are asked for again; the api caches them for about as long. */
const SUMMARY_REFRESH_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Tab = JobStatus | 'all';

/** The jobs: tabs by status with counts, newest first, paged, searchable, each row kept current by `/events`. */
export function JobsPage({ api, params }: { api: Api; params: URLSearchParams }) {
  const tab = (JOB_STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as JobStatus) : 'all';
  const search = params.get('q')?.trim() ?? '';
  const cursor = params.get('cursor') ?? undefined;
  const [page, setPage] = useState<RecordPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [summary, setSummary] = useSummary(api);
  const now = useNow();
  // The rows as last rendered, for the counts to know the status a changing job had.
  const rowsShown = useRef<JobRecord[]>([]);
  rowsShown.current = page?.jobs ?? [];

  useEffect(() => {
    let current = true;
    setError(null);
    load(api, tab, search, cursor).then(
      (loaded) => current && setPage(loaded),
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [api, tab, search, cursor, reloads]);

  // Rows change in place as their jobs do; a new job appears at the top of the first page of a tab it belongs to.
  useEffect(
    () =>
      api.events(
        '/events',
        (record) => {
          const row = rowsShown.current.find((shown) => shown.id === record.id);
          setSummary((before) => before && { ...before, counts: countsAfterChange(before.counts, row?.status, record.status) });
          setPage((shown) => {
            if (!shown) return shown;
            if (shown.jobs.some((row) => row.id === record.id)) return { ...shown, jobs: shown.jobs.map((row) => (row.id === record.id && row.updatedAt <= record.updatedAt ? record : row)) };
            const belongs = !search && !cursor && (tab === 'all' || tab === record.status) && record.status === 'queued';
            return belongs ? { ...shown, jobs: [record, ...shown.jobs].slice(0, PAGE_SIZE) } : shown;
          });
        },
        () => setReloads((count) => count + 1),
      ),
    [api, tab, search, cursor],
  );

  return (
    <section class="jobs">
      <h1>Jobs</h1>
      {summary && <LoadChart minutes={summary.finishedPerMinute} />}
      {/* Links rather than ARIA tabs: each tab is an address of its own, which can be bookmarked and reloaded. */}
      <nav class="tabs" aria-label="Status">
        {(['all', ...JOB_STATUSES] as Tab[]).map((status) => (
          <a key={status} aria-current={tab === status ? 'page' : undefined} class="tab" href={jobsHref({ status: status === 'all' ? undefined : status, q: search || undefined })}>
            {status === 'all' ? 'All' : STATUS_LABELS[status]}
            {summary && <span class="count">{countLabel(summary, status)}</span>}
          </a>
        ))}
      </nav>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const q = String(new FormData(event.currentTarget).get('q') ?? '').trim();
          location.hash = UUID.test(q) ? jobHref(q.toLowerCase()) : jobsHref({ status: tab === 'all' ? undefined : tab, q: q || undefined });
        }}
      >
        <label for="search">Search by id or name</label>
        <input id="search" name="q" type="search" defaultValue={search} placeholder="a job id, or part of a name" />
        <button type="submit">Search</button>
      </form>
      {search && (
        <p class="muted" role="status">
          Jobs whose name contains “{search}”, among the newest {NAME_SEARCH_LIMIT}. <a href={jobsHref({ status: tab === 'all' ? undefined : tab })}>Clear</a>
        </p>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {page && <JobTable records={page.jobs} now={now} />}
      {page && page.jobs.length === 0 && <p>No jobs here yet.</p>}
      <nav class="pager" aria-label="Pages">
        {cursor && <a href={jobsHref({ status: tab === 'all' ? undefined : tab })}>Newest</a>}
        {page?.nextCursor && <a href={jobsHref({ status: tab === 'all' ? undefined : tab, cursor: page.nextCursor })}>Older</a>}
      </nav>
    </section>
  );
}

function JobTable({ records, now }: { records: JobRecord[]; now: number }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Image</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Exit code</th>
            <th scope="col">Age</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => {
            const ran = runDuration(record, now);
            return (
              <tr key={record.id} data-job-id={record.id} data-status={record.status}>
                <td data-label="Name">
                  <a href={jobHref(record.id)}>{record.request.jobName}</a>
                </td>
                <td data-label="Image" class="image">
                  {record.request.image}
                </td>
                <td data-label="Status">
                  <StatusBadge status={record.status} />
                </td>
                <td data-label="Reason">{record.reason ?? '—'}</td>
                <td data-label="Exit code">{record.exitCode ?? '—'}</td>
                <td data-label="Age">
                  <time dateTime={record.queuedAt}>{formatAge(record.queuedAt, now)}</time>
                </td>
                <td data-label="Duration">{ran === null ? '—' : formatDuration(ran)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** One page of a tab; with a search, the newest jobs whose name contains it (the list has no name filter). */
async function load(api: Api, tab: Tab, search: string, cursor: string | undefined): Promise<RecordPage> {
  const status = tab === 'all' ? '' : `&status=${tab}`;
  if (!search) return api.json<RecordPage>(`/jobs?limit=${PAGE_SIZE}${status}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  const wanted = search.toLowerCase();
  const found: JobRecord[] = [];
  let next: string | null = null;
  for (let read = 0; read < NAME_SEARCH_LIMIT && found.length < PAGE_SIZE; read += 100) {
    const page: RecordPage = await api.json(`/jobs?limit=100${status}${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
    found.push(...page.jobs.filter((record) => record.request.jobName.includes(wanted) || record.jobName.includes(wanted)));
    next = page.nextCursor;
    if (!next) break;
  }
  return { jobs: found.slice(0, PAGE_SIZE), nextCursor: null };
}

/** The counts and the load, asked for on opening and every SUMMARY_REFRESH_MS after. */
function useSummary(api: Api): [JobsSummary | null, (change: (before: JobsSummary | null) => JobsSummary | null) => void] {
  const [summary, setSummary] = useState<JobsSummary | null>(null);
  useEffect(() => {
    // A summary that fails leaves the last one shown: the counts and the chart are a guide, the rows the truth.
    const refresh = () => api.json<JobsSummary>('/jobs/summary').then(setSummary, () => undefined);
    void refresh();
    const timer = setInterval(refresh, SUMMARY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [api]);
  return [summary, setSummary];
}

function countLabel(summary: JobsSummary, status: Tab): string {
  const count = summary.counts[status];
  return count >= summary.countLimit ? `${summary.countLimit.toLocaleString()}+` : count.toLocaleString();
}
