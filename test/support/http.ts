import type { JobRecord } from '@app/contracts';
import { eventually, TEST_ADMIN_TOKEN } from './system.js';

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A small client of the api for tests: JSON in, JSON (or text) out, status kept. It sends `token` as a bearer
 * token (the tests' admin by default; null sends none), so that a test can act as another user.
 */
export class ApiClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly token: string | null = TEST_ADMIN_TOKEN,
  ) {}

  /** `timeoutMs` bounds the whole exchange: past it the answer rejects (a TimeoutError) instead of hanging. */
  async request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Answer<T>> {
    const response = await fetch(`${this.baseUrl()}${path}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(this.token !== null && { authorization: `Bearer ${this.token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(timeoutMs !== undefined && { signal: AbortSignal.timeout(timeoutMs) }),
    });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json');
    return { status: response.status, headers: response.headers, body: (isJson && text ? JSON.parse(text) : text) as T };
  }

  submit(body: unknown, timeoutMs?: number): Promise<Answer<JobRecord>> {
    return this.request<JobRecord>('POST', '/jobs', body, timeoutMs);
  }

  async record(id: string): Promise<JobRecord> {
    const answer = await this.request<JobRecord>('GET', `/jobs/${id}`);
    if (answer.status !== 200) throw new Error(`GET /jobs/${id} answered ${answer.status}`);
    return answer.body;
  }

  /** Waits until the job has one of the statuses (any terminal one by default). */
  untilStatus(id: string, statuses: string[] = ['succeeded', 'failed', 'timed_out', 'cancelled'], timeoutMs = 20_000): Promise<JobRecord> {
    return eventually(async () => {
      const record = await this.record(id);
      return statuses.includes(record.status) && record;
    }, timeoutMs, `job ${id} to be ${statuses.join(' or ')}`);
  }
}
