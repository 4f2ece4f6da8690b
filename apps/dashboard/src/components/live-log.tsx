import { useEffect, useRef, useState } from 'preact/hooks';
import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { isTerminal } from '../../../../libs/contracts/src/job-record.js';
import { ApiError, saveBlob, type Api } from '../api.js';

/**
 * The job's log: followed live while the job runs (`?follow=true` ends when the job ends, continuing into the
 * stored log without a gap), read whole once it has ended, and downloadable then.
 */
export function LiveLog({ api, record }: { api: Api; record: JobRecord }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<'loading' | 'following' | 'complete' | 'none' | 'failed'>('loading');
  const [error, setError] = useState<string | null>(null);
  const ended = isTerminal(record.status);
  const view = useRef<HTMLPreElement>(null);
  const pinnedToEnd = useRef(true);

  // Follow once while the job runs; a job that had ended when the page opened is read whole.
  const endedAtOpen = useRef(ended);
  useEffect(() => {
    const abort = new AbortController();
    setText('');
    setState(endedAtOpen.current ? 'loading' : 'following');
    api
      .stream(`/jobs/${record.id}/log${endedAtOpen.current ? '' : '?follow=true'}`, (piece) => setText((before) => before + piece), abort.signal)
      .then(() => setState('complete'))
      .catch((failure: Error) => {
        if (abort.signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 404) return setState('none');
        setError(failure.message);
        setState('failed');
      });
    return () => abort.abort();
  }, [api, record.id]);

  useEffect(() => {
    if (pinnedToEnd.current && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [text]);

  const download = async () => {
    try {
      saveBlob(await api.blob(`/jobs/${record.id}/log`), record.logObject ?? `${record.jobName}.log`);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="log-heading" class="log">
      <div class="section-heading">
        <h2 id="log-heading">Log</h2>
        <span class="log-state" role="status">
          {state === 'following' ? 'following live…' : state === 'complete' ? 'complete' : state === 'none' ? 'no log stored' : state === 'loading' ? 'loading…' : ''}
        </span>
        {ended && record.logObject && (
          <button type="button" onClick={download}>
            Download log
          </button>
        )}
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <pre
        ref={view}
        class="log-text"
        tabIndex={0}
        aria-label="Log text"
        onScroll={(event) => {
          const element = event.currentTarget;
          pinnedToEnd.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 8;
        }}
      >
        {text || (state === 'following' ? 'Waiting for the first line…' : '')}
      </pre>
    </section>
  );
}
