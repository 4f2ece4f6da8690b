import type { KubeConfig, V1Job, V1JobList, V1PodList, V1Secret } from '@kubernetes/client-node';
import fetch, { Headers, type RequestInit } from 'node-fetch';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeepAliveAgent } from './keep-alive-agent.js';

export type KubeVerb = 'create' | 'get' | 'list' | 'watch' | 'patch' | 'delete' | 'log' | 'version';

export interface KubeApiOptions {
  requestTimeoutMs: number;
  /** Called once per API request, for metrics. */
  onRequest?: (verb: KubeVerb, resource: string, code: number | 'error') => void;
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/**
 * The few Kubernetes API calls the worker makes, each with a time-out and counted; one place to see what the
 * worker asks of the API server (and so what its Role must allow).
 */
export class KubeApi {
  private readonly server: string;
  private readonly agent = new KeepAliveAgent();

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: KubeApiOptions,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.json('create', 'jobs', 'POST', jobsPath(namespace), {}, job);
  }

  /** The Job, or undefined when it does not exist. */
  async getJob(namespace: string, name: string): Promise<V1Job | undefined> {
    return this.json<V1Job>('get', 'jobs', 'GET', `${jobsPath(namespace)}/${encodeURIComponent(name)}`).catch(undefinedWhenNotFound);
  }

  listJobs(namespace: string, labelSelector: string): Promise<V1JobList> {
    return this.json('list', 'jobs', 'GET', jobsPath(namespace), { labelSelector });
  }

  /** Applies an RFC 6902 JSON patch atomically; a failed `test` operation rejects the whole patch. */
  patchJob(namespace: string, name: string, operations: JsonPatchOperation[]): Promise<V1Job> {
    return this.json('patch', 'jobs', 'PATCH', `${jobsPath(namespace)}/${encodeURIComponent(name)}`, {}, operations, 'application/json-patch+json');
  }

  /** Deletes a Job and (in the background) its pods; false when it was already gone. */
  async deleteJob(namespace: string, name: string): Promise<boolean> {
    return this.json('delete', 'jobs', 'DELETE', `${jobsPath(namespace)}/${encodeURIComponent(name)}`, { propagationPolicy: 'Background' }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof KubeApiError && error.code === 404) return false;
        throw error;
      },
    );
  }

  /** Only with JOB_S3_CREDENTIALS=sts: a Job's own S3 credentials (STS_KUBE_PERMISSIONS). */
  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    return this.json('create', 'secrets', 'POST', secretsPath(namespace), {}, secret);
  }

  /** The Secret, or undefined when it does not exist. */
  async getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.json<V1Secret>('get', 'secrets', 'GET', `${secretsPath(namespace)}/${encodeURIComponent(name)}`).catch(undefinedWhenNotFound);
  }

  listPods(namespace: string, labelSelector: string): Promise<V1PodList> {
    return this.json('list', 'pods', 'GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector });
  }

  /**
   * A container's log as a stream (at most `limitBytes`), or undefined when the pod is gone. Bounded twice by the
   * request time-out: waiting for the answer, and any silence of the body after it (the stream then fails), so a
   * hung read fails instead of holding its Job for ever. Never read whole: a log can be hundreds of megabytes.
   * With `follow` the stream goes on until the container ends (a silent container's too fails by the time-out:
   * the follower opens it again).
   */
  async openPodLog(namespace: string, name: string, container: string, limitBytes: number, follow = false): Promise<Readable | undefined> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`;
    const { status, body } = await this.stream('log', 'pods', path, { container, limitBytes: String(limitBytes), ...(follow && { follow: 'true' }) });
    if (status === 404) {
      body.resume();
      return undefined;
    }
    if (status !== 200) throw statusError(status, await text(body));
    return idleLimited(body, this.options.requestTimeoutMs);
  }

  async serverVersion(): Promise<string> {
    const info = await this.json<{ gitVersion: string }>('version', 'version', 'GET', '/version');
    return info.gitVersion;
  }

  /**
   * Opens one watch and streams its events until the server ends it, the signal aborts it, or it fails.
   * client-node's own Watch cannot be aborted before the server answers, so a hung request would leak a
   * connection; this one is bounded by the request time-out until the server answers, and by the caller's
   * signal throughout.
   */
  async watch<T>(
    path: string,
    query: Record<string, string>,
    handlers: { onConnected: () => void; onEvent: (event: WatchEvent<T>) => void },
    signal: AbortSignal,
  ): Promise<void> {
    const { status, body } = await this.stream('watch', path.split('/').pop() ?? path, path, { ...query, watch: 'true' }, signal);
    if (status !== 200) throw statusError(status, await text(body));
    const abort = () => body.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      handlers.onConnected();
      if (signal.aborted) abort();
      await readLines(body, (line) => handlers.onEvent(JSON.parse(line) as WatchEvent<T>));
    } finally {
      signal.removeEventListener('abort', abort);
      body.destroy();
    }
  }

  /**
   * A GET whose body is read as a stream, counted once. The time-out bounds the wait for the server's answer
   * only: node-fetch aborts the body too when the signal fires later, and an answered stream is to last as long
   * as the server keeps it open (or the caller's signal allows).
   */
  private async stream(verb: KubeVerb, resource: string, path: string, query: Record<string, string>, signal?: AbortSignal): Promise<{ status: number; body: Readable }> {
    const { url, request } = await this.prepare(path, query);
    const connecting = new AbortController();
    const connectTimer = setTimeout(() => connecting.abort(), this.options.requestTimeoutMs);
    try {
      const response = await fetch(url, { ...request, method: 'GET', signal: (signal ? AbortSignal.any([signal, connecting.signal]) : connecting.signal) as never });
      this.options.onRequest?.(verb, resource, response.status);
      return { status: response.status, body: response.body as Readable };
    } catch (error) {
      this.options.onRequest?.(verb, resource, 'error');
      throw error;
    } finally {
      clearTimeout(connectTimer);
    }
  }

  /**
   * The URL and the fetch options of a request: the kubeconfig's credentials (`applyToFetchOptions`: tokens, exec
   * plugins, client certificates; its headers are a Headers object, which keeps them only while it stays one) and
   * the kept-alive agent in place of the one client-node built for this request.
   */
  private async prepare(path: string, query: Record<string, string>): Promise<{ url: URL; request: Omit<RequestInit, 'headers'> & { headers: Headers } }> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const request = await this.kubeConfig.applyToFetchOptions({});
    const headers = new Headers(request.headers as ConstructorParameters<typeof Headers>[0]);
    return { url, request: { ...request, headers, agent: this.agent.instead(request.agent as never) } };
  }

  /**
   * One API request with a JSON answer, bounded by the request time-out and counted. Made with the kubeconfig's
   * credentials (`prepare`) but not through client-node's generated API classes, whose ObjectSerializer walked every field of every Job sent and answered (about 4% of
   * the worker's busy time in the benchmark, BENCHMARKS.md); the answer is the API's JSON as it is, which is what the
   * `V1…` types describe (timestamps stay strings, as in watch events).
   */
  private async json<T>(verb: KubeVerb, resource: string, method: string, path: string, query: Record<string, string> = {}, body?: unknown, contentType = 'application/json'): Promise<T> {
    let response: Awaited<ReturnType<typeof fetch>>;
    let text: string;
    try {
      const { url, request } = await this.prepare(path, query);
      request.headers.set('accept', 'application/json');
      if (body !== undefined) request.headers.set('content-type', contentType);
      response = await fetch(url, {
        ...request,
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs) as never,
      });
      text = await response.text();
    } catch (error) {
      this.options.onRequest?.(verb, resource, 'error');
      throw error;
    }
    this.options.onRequest?.(verb, resource, response.status);
    if (!response.ok) throw statusError(response.status, text);
    return JSON.parse(text) as T;
  }
}

/**
 * Calls `onLine` for each newline-terminated line until the stream ends, closes or is destroyed. (readline's
 * async iterator never finishes when its input is destroyed, which is how a watch is aborted.) An error thrown
 * by `onLine` ends the stream and rejects.
 */
function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        try {
          onLine(line);
        } catch (error) {
          stream.destroy();
          return reject(error as Error);
        }
      }
    });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', (error) => (stream.destroyed ? resolve() : reject(error)));
  });
}

/**
 * The stream, failing with a TimeoutError when no data passes for `idleMs`: a log read the server stopped
 * answering. (A consumer that stops reading for that long also ends it; it is then tried again.)
 */
function idleLimited(body: Readable, idleMs: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const watched: Transform = new Transform({
    transform(chunk, _encoding, done) {
      arm();
      done(null, chunk);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => watched.destroy(Object.assign(new Error(`the log stream sent nothing for ${idleMs} ms`), { name: 'TimeoutError' })), idleMs);
  };
  arm();
  watched.once('close', () => clearTimeout(timer));
  pipeline(body, watched).catch(() => undefined);
  return watched;
}

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } catch {
    // The status alone then says what went wrong.
  }
  return Buffer.concat(chunks).toString();
}

function jobsPath(namespace: string): string {
  return `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
}

function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}

function undefinedWhenNotFound(error: unknown): undefined {
  if (error instanceof KubeApiError && error.code === 404) return undefined;
  throw error;
}

function statusError(code: number, body: string): KubeApiError {
  try {
    const status = JSON.parse(body) as { reason?: string; message?: string };
    return new KubeApiError(code, status.reason ?? String(code), status.message ?? body);
  } catch {
    return new KubeApiError(code, String(code), body || `HTTP ${code}`);
  }
}

/**
 * Kubernetes API answers that repeating the request will not change: the object is invalid (400, 422), the
 * worker may not do it (401, 403), or the method is not there (405). Conflicts, throttling (429), time-outs and
 * server errors pass; 404 and 409 are answers the callers handle themselves.
 */
export function isPermanentKubeError(error: unknown): boolean {
  return error instanceof KubeApiError && [400, 401, 403, 405, 422].includes(error.code);
}
