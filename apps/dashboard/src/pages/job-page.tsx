import { useEffect, useRef, useState } from 'preact/hooks';
import { isTerminal, type JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { ApiError, saveBlob, type Api, type JobOutputs } from '../api.js';
import { LiveLog } from '../components/live-log.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import { useNow } from '../route.js';

/** One job: every field of its record, kept current by its event stream, its timeline, log, outputs and cancel. */
export function JobPage({ api, id }: { api: Api; id: string }) {
  const [record, setRecord] = useState<JobRecord | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    // The stream sends the current record first, then each change, and ends after the last.
    api.json<JobRecord>(`/jobs/${id}`).then(setRecord, (failure: Error) => setError(failure instanceof ApiError && failure.status === 404 ? `There is no job ${id} that you may see.` : failure.message));
    return api.events(`/jobs/${id}/events`, (changed) => setRecord((before) => (before && before.updatedAt > changed.updatedAt ? before : changed)));
  }, [api, id]);

  if (error) {
    return (
      <section>
        <h1>Job</h1>
        <p class="field-error" role="alert">
          {error}
        </p>
        <a href="#/jobs">Back to the jobs</a>
      </section>
    );
  }
  if (!record) return <p class="loading">Loading job {id}…</p>;
  return (
    <article class="job">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <div class="job-title">
        <h1>{record.request.jobName}</h1>
        <StatusBadge status={record.status} />
        {!isTerminal(record.status) && <CancelButton api={api} record={record} onCancelled={setRecord} />}
      </div>
      <Timeline record={record} />
      <RecordFields record={record} />
      <LiveLog api={api} record={record} />
      {isTerminal(record.status) && <Outputs api={api} record={record} />}
    </article>
  );
}

function Timeline({ record }: { record: JobRecord }) {
  const now = useNow();
  const waited = (record.startedAt ? Date.parse(record.startedAt) : record.finishedAt ? Date.parse(record.finishedAt) : now) - Date.parse(record.queuedAt);
  const ran = record.startedAt ? (record.finishedAt ? Date.parse(record.finishedAt) : now) - Date.parse(record.startedAt) : null;
  return (
    <ol class="timeline" aria-label="Timeline">
      <li class="done">
        <strong>Queued</strong> <time dateTime={record.queuedAt}>{formatTime(record.queuedAt)}</time>
      </li>
      <li class={record.startedAt ? 'done' : 'pending'}>
        <span class="between">{record.startedAt ? `waited ${formatDuration(waited)}` : record.finishedAt ? 'never started' : `waiting ${formatDuration(waited)}`}</span>
        <strong>Started</strong> {record.startedAt ? <time dateTime={record.startedAt}>{formatTime(record.startedAt)}</time> : '—'}
      </li>
      <li class={record.finishedAt ? 'done' : 'pending'}>
        {ran !== null && <span class="between">{record.finishedAt ? `ran ${formatDuration(ran)}` : `running ${formatDuration(ran)}`}</span>}
        <strong>Finished</strong> {record.finishedAt ? <time dateTime={record.finishedAt}>{formatTime(record.finishedAt)}</time> : '—'}
      </li>
    </ol>
  );
}

/** Every field of the record, the request's included, in the order the api documents them. */
function RecordFields({ record }: { record: JobRecord }) {
  const { request, outputs: _outputs, ...fields } = record;
  const rows: Array<[string, unknown]> = [...Object.entries(fields), ...Object.entries(request).map(([name, value]): [string, unknown] => [`request.${name}`, value])];
  return (
    <section aria-labelledby="fields-heading">
      <h2 id="fields-heading">Record</h2>
      <dl class="fields">
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{fieldText(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Outputs({ api, record }: { api: Api; record: JobRecord }) {
  const [listing, setListing] = useState<JobOutputs | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.json<JobOutputs>(`/jobs/${record.id}/outputs`).then(setListing, (failure: Error) => setError(failure.message));
  }, [api, record.id, record.status]);

  const download = async (url: string, name: string) => {
    try {
      saveBlob(await api.blob(url), name.slice(name.lastIndexOf('/') + 1));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="outputs-heading">
      <h2 id="outputs-heading">Outputs</h2>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {listing && listing.outputs.length === 0 && <p>The Job wrote no outputs{record.request.prefix ? ` under ${record.request.prefix}` : ' (the request had no prefix)'}.</p>}
      {listing && listing.outputs.length > 0 && (
        <ul class="outputs">
          {listing.outputs.map((output) => (
            <li key={output.name}>
              <button type="button" class="link-button" onClick={() => download(output.url, output.name)}>
                {output.name}
              </button>{' '}
              <span class="muted">
                {formatBytes(output.size)} · {formatTime(output.lastModified)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Cancel, after a confirmation in a modal dialog (keyboard: Tab between its buttons, Escape keeps the job). */
function CancelButton({ api, record, onCancelled }: { api: Api; record: JobRecord; onCancelled: (record: JobRecord) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const cancel = async () => {
    setCancelling(true);
    try {
      onCancelled(await api.json<JobRecord>(`/jobs/${record.id}`, { method: 'DELETE' }));
      dialog.current?.close();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setCancelling(false);
    }
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
        Cancel job
      </button>
      <dialog ref={dialog} aria-labelledby="cancel-heading" aria-describedby="cancel-text">
        <h2 id="cancel-heading">Cancel {record.request.jobName}?</h2>
        <p id="cancel-text">Its Job is stopped and deleted; the log so far is kept. This cannot be undone.</p>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            Keep it running
          </button>
          <button type="button" class="danger" disabled={cancelling} onClick={cancel}>
            {cancelling ? 'Cancelling…' : 'Yes, cancel the job'}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A record field as text: lists joined, objects (a request's optional settings) as JSON, nothing as a dash. */
function fieldText(value: unknown): string {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return '—';
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object')) return value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
