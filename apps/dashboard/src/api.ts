import { EventSource } from 'eventsource';
import { JOB_STATUSES, type JobRecord } from '../../../libs/contracts/src/job-record.js';

/** One field the api named in a 400 (apps/api/src/invalid-input.ts). */
export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

/** An answer other than 2xx, with the api's message and, for invalid input, each field at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `GET /jobs` (apps/api/src/jobs/dto/job-record.dto.ts). */
export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export interface JobOutputs {
  outputBucket: string;
  manifestObject: string | null;
  outputs: Array<{ name: string; size: number; etag: string; lastModified: string; url: string }>;
}

const TOKEN_KEY = 'cloud-worker.token';

/** The token is kept for this browser tab's session only (README, "The dashboard"). */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** The api at this page's own origin, called with the signed-in token. */
export class Api {
  constructor(
    private readonly token: string,
    /** Called when the api refuses the token (expired, revoked): the dashboard signs out. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    return (await response.json()) as T;
  }

  /** A whole body as a Blob, for a download link. */
  async blob(path: string): Promise<Blob> {
    return (await this.fetch(path)).blob();
  }

  /** A text body piece by piece as it arrives (a followed log), until it ends or `signal` aborts. */
  async stream(path: string, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
    const response = await this.fetch(path, { signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onText(value);
    }
  }

  /**
   * Record changes from a Server-Sent Events path (`/events`, `/jobs/{id}/events`). The `eventsource` package
   * rather than the browser's own EventSource, which cannot send an Authorization header; it reconnects with
   * Last-Event-ID by itself. `onReset` is told when the api no longer holds the events missed. Returns `close`.
   */
  events(path: string, onRecord: (record: JobRecord) => void, onReset: () => void = () => undefined): () => void {
    const source = new EventSource(new URL(path, location.href), {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...this.authorization() } }),
    });
    for (const status of JOB_STATUSES) source.addEventListener(status, (event) => onRecord(JSON.parse(event.data) as JobRecord));
    source.addEventListener('reset', onReset);
    source.addEventListener('error', (event) => {
      if (event.code === 401) this.onUnauthorized();
    });
    return () => source.close();
  }

  private authorization(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(path, { ...init, headers: { ...this.authorization(), ...init.headers } });
    if (response.ok) return response;
    if (response.status === 401) this.onUnauthorized();
    throw await errorOf(response);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { message?: string | string[]; errors?: FieldError[] };
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    return new ApiError(response.status, message ?? `${response.status} ${response.statusText}`, body.errors ?? []);
  } catch {
    return new ApiError(response.status, text.trim() || `${response.status} ${response.statusText}`);
  }
}

/** Saves a Blob under a file name through a temporary link: downloads need the token, so a plain href cannot. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  link.click();
  // The browser reads the URL after click() returns; a minute is ample for it to start the download.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
