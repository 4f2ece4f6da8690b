import type { Request, Response } from 'express';
import type { OpenStreams } from './open-streams.js';
import { KEEP_ALIVE } from './sse.js';

/**
 * One `text/event-stream` answer: headers sent at once, a keep-alive comment every `keepAliveSeconds`, and one
 * cleanup (`onClose` callbacks, the timer) however it ends: by the server, the client going away, or shutdown.
 */
export class EventStream {
  private readonly cleanups: Array<() => void> = [];
  private closed = false;

  constructor(request: Request, private readonly response: Response, keepAliveSeconds: number, streams: OpenStreams) {
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    // nginx (and so most ingresses) would otherwise buffer the stream.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    const keepAlive = setInterval(() => this.write(KEEP_ALIVE), keepAliveSeconds * 1000);
    this.cleanups.push(() => clearInterval(keepAlive), streams.add(() => this.close()));
    request.on('close', () => this.close());
  }

  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  write(text: string): void {
    if (!this.closed) this.response.write(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.response.end();
  }
}
