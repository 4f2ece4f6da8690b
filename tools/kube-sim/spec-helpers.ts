/** Helpers for the simulator's own e2e specs: raw HTTP calls and watch streams. */
import type { KubeSim } from './index.js';

export { eventually } from '../../test/support/system.js';
export { hasCondition } from './job-status.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
}

/** One HTTP request to the simulator; JSON bodies are parsed, others returned as text. */
export async function call(sim: KubeSim, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const raw = options.body instanceof Buffer || typeof options.body === 'string';
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      ...(options.accept ? { accept: options.accept } : {}),
    },
    body: options.body === undefined ? undefined : raw ? (options.body as string) : JSON.stringify(options.body),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json && text ? JSON.parse(text) : text };
}

export interface WatchStream {
  events: Array<{ type: string; object: any }>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  /** Waits for an event matching the predicate (already received or still to come). */
  next(predicate: (event: { type: string; object: any }) => boolean, timeoutMs?: number): Promise<{ type: string; object: any }>;
  close(): void;
}

export async function watch(sim: KubeSim, path: string, accept?: string): Promise<WatchStream> {
  const controller = new AbortController();
  const response = await fetch(`${sim.url}${path}`, { signal: controller.signal, headers: accept ? { accept } : {} });
  if (response.status !== 200) throw new Error(`watch ${path}: ${response.status} ${await response.text()}`);
  const events: WatchStream['events'] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    ended,
    close: () => controller.abort(),
    next(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching watch event on ${path} within ${timeoutMs} ms; got ${events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`).join(', ')}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

export const JOBS = '/apis/batch/v1/namespaces/default/jobs';
export const PODS = '/api/v1/namespaces/default/pods';
export const SECRETS = '/api/v1/namespaces/default/secrets';

/** A minimal Job manifest. */
export function jobManifest(name: string, image = 'kube-sim/sleep-exit', extra: { env?: Record<string, string>; spec?: Record<string, unknown>; labels?: Record<string, string> } = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...extra.spec,
      template: {
        metadata: { labels: { app: 'kube-sim-test' } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image, env: Object.entries(extra.env ?? {}).map(([name, value]) => ({ name, value })) }],
        },
      },
    },
  };
}
