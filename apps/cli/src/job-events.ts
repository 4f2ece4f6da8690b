import { EventSource } from 'eventsource';
import { isTerminal, JOB_STATUSES, type JobRecord } from '../../../libs/contracts/src/job-record.js';
import type { ApiClient } from './api-client.js';
import { CliError, ExitCode, exitCodeOfStatus } from './exit-codes.js';

/**
 * Follows a job's record through `GET /jobs/{id}/events` until it ends: `onRecord` gets the current record, then
 * each change. The EventSource reconnects by itself after a broken connection, sending `Last-Event-ID`, so that
 * no status is missed or repeated; an answer that is not a stream (401, 404, …) ends it with that error.
 */
export function followJob(client: ApiClient, id: string, onRecord: (record: JobRecord) => void, signal?: AbortSignal): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(client.url(`/jobs/${encodeURIComponent(id)}/events`), {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...client.authHeaders() } }),
    });
    let opened = false;
    const finish = (done: () => void) => {
      source.close();
      signal?.removeEventListener('abort', aborted);
      done();
    };
    const aborted = () => finish(() => reject(signal!.reason));
    signal?.addEventListener('abort', aborted);
    source.addEventListener('open', () => (opened = true));
    for (const status of JOB_STATUSES) {
      source.addEventListener(status, (event) => {
        let record: JobRecord;
        try {
          record = JSON.parse(event.data) as JobRecord;
        } catch {
          return finish(() => reject(new CliError(`the api sent an event that is not a job record: ${event.data.slice(0, 200)}`, ExitCode.API_ERROR)));
        }
        onRecord(record);
        // The stream ends after a terminal status; closing here keeps the EventSource from reconnecting.
        if (isTerminal(record.status)) finish(() => resolve(record));
      });
    }
    source.addEventListener('error', (event) => {
      if (source.readyState === source.CLOSED) {
        const message = `${event.code ? `${event.code} ` : ''}${event.message ?? 'the event stream failed'}`;
        finish(() => reject(new CliError(`following job ${id}: ${message}`, event.code ? exitCodeOfStatus(event.code) : ExitCode.API_ERROR)));
      } else if (!opened) {
        finish(() => reject(new CliError(`cannot reach the api at ${client.url('/').origin}: ${event.message ?? 'no answer'}`, ExitCode.UNREACHABLE)));
      }
      // Otherwise a broken stream: the EventSource reconnects with Last-Event-ID.
    });
  });
}

/**
 * A job's log, `GET /jobs/{id}/log`, text piece by text piece as it arrives: with `follow`, live until the job
 * has ended and the whole stored log is sent.
 */
export async function streamLog(
  client: ApiClient,
  id: string,
  options: { follow?: boolean; tail?: number; signal?: AbortSignal },
  onText: (text: string) => void,
): Promise<void> {
  const response = await client.request(`/jobs/${encodeURIComponent(id)}/log`, {
    query: { follow: options.follow || undefined, tail: options.tail },
    signal: options.signal,
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) onText(decoder.decode(chunk, { stream: true }));
  const rest = decoder.decode();
  if (rest) onText(rest);
}
