import type { JobRecord } from '../../../libs/contracts/src/job-record.js';
import { CliError, ExitCode, exitCodeOfStatus } from './exit-codes.js';
import type { Settings } from './settings.js';

/** One output of a job, as `GET /jobs/{id}/outputs` lists it. */
export interface OutputEntry {
  name: string;
  size: number;
  etag: string;
  lastModified: string;
  url: string;
}

export interface OutputList {
  outputBucket: string;
  manifestObject: string | null;
  outputs: OutputEntry[];
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** A string, or a stream of bytes (an upload), sent as it is read. */
  body?: string | AsyncIterable<Uint8Array>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Statuses that mean the api refused the work itself (exit code 2), e.g. 400 for a submission. */
  refusals?: readonly number[];
}

/** The api over HTTP: every answer that is not 2xx becomes a CliError with the api's own message. */
export class ApiClient {
  constructor(
    private readonly settings: Settings,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  url(path: string, query: RequestOptions['query'] = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.settings.api.href.endsWith('/') ? this.settings.api : `${this.settings.api.href}/`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** The headers every request carries: the bearer token, when there is one. */
  authHeaders(): Record<string, string> {
    return this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {};
  }

  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: options.method ?? 'GET',
        headers: { ...this.authHeaders(), ...options.headers },
        body: options.body as RequestInit['body'],
        signal: options.signal,
        // A streamed body (an upload) is sent as it is read.
        ...(options.body !== undefined && { duplex: 'half' }),
      } as RequestInit);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new CliError(`cannot reach the api at ${this.settings.api.origin}: ${causeOf(error)} (set CLOUD_WORKER_API or --api; is \`npm run dev\` running?)`, ExitCode.UNREACHABLE);
    }
    if (!response.ok) throw await this.errorOf(response, options.refusals);
    return response;
  }

  async json<T>(path: string, options: RequestOptions & { json?: unknown } = {}): Promise<T> {
    const { json, ...rest } = options;
    const response = await this.request(path, {
      ...rest,
      ...(json !== undefined && { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers } }),
    });
    return (await response.json()) as T;
  }

  getJob(id: string): Promise<JobRecord> {
    return this.json<JobRecord>(`/jobs/${encodeURIComponent(id)}`);
  }

  listJobs(query: { status?: string; limit?: number; cursor?: string }): Promise<JobPage> {
    return this.json<JobPage>('/jobs', { query });
  }

  async errorOf(response: Response, refusals: readonly number[] = []): Promise<CliError> {
    const text = await response.text().catch(() => '');
    let message = text.trim();
    try {
      const body = JSON.parse(text) as { message?: string | string[] };
      if (body.message) message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    } catch {
      // Not JSON (a proxy's page, say): the text as it came.
    }
    const hint = response.status === 401 ? ' (give a token: --token or CLOUD_WORKER_TOKEN)' : '';
    return new CliError(`${response.status} ${response.statusText}: ${message.slice(0, 2000) || 'no message'}${hint}`, exitCodeOfStatus(response.status, refusals));
  }
}

/** The innermost cause of a fetch failure (undici wraps ECONNREFUSED and the like in `cause`). */
function causeOf(error: unknown): string {
  // Duck-typed: the error may come from another realm (undici's own), where instanceof Error fails.
  let current = error as { cause?: unknown; code?: string; message?: string } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  const message = current?.message ?? String(current);
  return current?.code && !message.includes(current.code) ? `${current.code} ${message}` : message;
}
