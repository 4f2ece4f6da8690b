import type { KubeConfig, V1Job, V1JobList, V1PodList, V1Secret } from '@kubernetes/client-node';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
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
   * A container's log as a stream (at most `limitBytes`), or undefined when the pod is gone. Bounded by the
   * request time-out while the server answers and while the body is silent after that (the stream then fails
   * with a TimeoutError), so a hung read fails instead of holding its Job for ever. Never read whole: a log can be
   * hundreds of megabytes. With `follow` the stream goes on until the container ends (a silent container's too
   * fails by the time-out: the follower opens it again; so does a reader that stops reading for that long).
   */
  async openPodLog(namespace: string, name: string, container: string, limitBytes: number, follow = false): Promise<Readable | undefined> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`;
    const answer = await this.counted('log', 'pods', () => this.send('GET', path, { container, limitBytes: String(limitBytes), ...(follow && { follow: 'true' }) }));
    if (answer.statusCode === 404) {
      answer.resume();
      return undefined;
    }
    if (answer.statusCode !== 200) throw statusError(answer.statusCode!, await readText(answer).catch(() => ''));
    return answer;
  }

  async serverVersion(): Promise<string> {
    const info = await this.json<{ gitVersion: string }>('version', 'version', 'GET', '/version');
    return info.gitVersion;
  }

  /**
   * Opens one watch and streams its events until the server ends it, the signal aborts it, or it fails.
   * client-node's own Watch cannot be aborted before the server answers, so a hung request would leak a
   * connection; this one is bounded by the request time-out until the server answers, and by the caller's
   * signal throughout. A quiet watch is not cut by the time-out: the informer tells a stalled one by its silence.
   */
  async watch<T>(
    path: string,
    query: Record<string, string>,
    handlers: { onConnected: () => void; onEvent: (event: WatchEvent<T>) => void },
    signal: AbortSignal,
  ): Promise<void> {
    const body = await this.counted('watch', path.split('/').pop() ?? path, () => this.send('GET', path, { ...query, watch: 'true' }, { signal, untimedBody: true }));
    if (body.statusCode !== 200) throw statusError(body.statusCode!, await readText(body).catch(() => ''));
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
   * One API request with a JSON answer, bounded by the request time-out and counted. Not through client-node's
   * generated API classes, whose ObjectSerializer walked every field of every Job sent and answered (about 4% of
   * the worker's busy time in the benchmark, BENCHMARKS.md); the answer is the API's JSON as it is, which is what
   * the `V1…` types describe (timestamps stay strings, as in watch events).
   */
  private async json<T>(verb: KubeVerb, resource: string, method: string, path: string, query: Record<string, string> = {}, body?: unknown, contentType = 'application/json'): Promise<T> {
    const answer = await this.counted(verb, resource, () => this.send(method, path, query, body === undefined ? {} : { body: JSON.stringify(body), contentType }));
    const text = await readText(answer);
    if (answer.statusCode! < 200 || answer.statusCode! >= 300) throw statusError(answer.statusCode!, text);
    return JSON.parse(text) as T;
  }

  /** Counts the request once: by the status the server answered, or as an error when it did not answer. */
  private async counted(verb: KubeVerb, resource: string, send: () => Promise<IncomingMessage>): Promise<IncomingMessage> {
    try {
      const answer = await send();
      this.options.onRequest?.(verb, resource, answer.statusCode!);
      return answer;
    } catch (error) {
      this.options.onRequest?.(verb, resource, 'error');
      throw error;
    }
  }

  /**
   * Sends one request with the kubeconfig's credentials (`applyToHTTPSOptions`: tokens, exec plugins, client
   * certificates) over the kept-alive agent, and resolves with the answer once its headers are in. Node's own
   * HTTP client and not a fetch: node-fetch's Request, Headers, Body and AbortSignal layers were about a third of
   * the worker's CPU spent on the Kubernetes API (BENCHMARKS.md, issue 15). The request time-out bounds the
   * connection and every silence of the server (a socket time-out), the body's too unless `untimedBody`; a
   * time-out fails the request, or the body stream, with a TimeoutError.
   */
  private async send(method: string, path: string, query: Record<string, string>, options: { body?: string; contentType?: string; signal?: AbortSignal; untimedBody?: boolean } = {}): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const credentials: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(credentials);
    const headers: OutgoingHttpHeaders = { ...(credentials.headers as OutgoingHttpHeaders), accept: 'application/json' };
    if (options.contentType) headers['content-type'] = options.contentType;
    const timeoutMs = this.options.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      let answer: IncomingMessage | undefined;
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method,
        headers,
        auth: credentials.auth,
        agent: this.agent.instead(credentials.agent as http.Agent | undefined),
        timeout: timeoutMs,
        signal: options.signal,
      });
      request.on('timeout', () => {
        const error = Object.assign(new Error(answer ? `the Kubernetes API sent nothing for ${timeoutMs} ms` : `the Kubernetes API did not answer within ${timeoutMs} ms`), { name: 'TimeoutError' });
        if (answer) answer.destroy(error);
        else request.destroy(error);
      });
      // Kept for the whole exchange: a failure after the answer reaches its body as well, and must not go unheard.
      request.on('error', reject);
      request.once('response', (response) => {
        answer = response;
        if (options.untimedBody) request.setTimeout(0);
        resolve(response);
      });
      request.end(options.body);
    });
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

/** The whole body as text: API answers and refusals are small. */
function readText(body: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => (text += chunk));
    body.once('end', () => resolve(text));
    body.once('error', reject);
  });
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
