/** One HTTP request/response with its entry in the request log, and the ways to answer it. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import type { RequestInfo } from './request-info.js';

export interface RequestRecord {
  /** Arrival, in ms since the epoch. */
  time: number;
  method: string;
  path: string;
  query: Record<string, string>;
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  /** From the path; for a create, the created object's name, once it is created. */
  name?: string;
  /** The response's status code; undefined while unanswered (a watch answers 200 at once). */
  status?: number;
  userAgent?: string;
}

export class Exchange {
  readonly url: URL;
  readonly record: RequestRecord;
  /** Warning headers (unknown fields, deprecated defaults). */
  readonly warnings: string[] = [];

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly info: RequestInfo,
    url: URL,
  ) {
    this.url = url;
    this.record = {
      time: Date.now(),
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      verb: info.verb,
      ...(info.resource ? { resource: info.resource } : {}),
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
    };
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  head(code: number, headers: OutgoingHttpHeaders): void {
    this.record.status = code;
    if (this.warnings.length) headers.Warning = this.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    this.response.writeHead(code, { 'Cache-Control': 'no-cache, private', ...headers });
  }

  send(code: number, body: string | Record<string, unknown>, contentType = 'application/json'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.head(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    this.response.end(text);
  }

  sendError(error: ApiError): void {
    if (this.response.headersSent) {
      this.response.destroy();
      return;
    }
    this.send(error.code, error.toStatus());
  }
}
