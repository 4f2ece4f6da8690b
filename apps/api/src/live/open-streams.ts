import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * The streamed answers still open (event streams, followed logs). An HTTP server waits for open answers when it
 * closes, so they are ended first on shutdown: the clients see their streams end and reconnect to another replica.
 */
@Injectable()
export class OpenStreams implements BeforeApplicationShutdown {
  private readonly closers = new Set<() => void>();
  private closing = false;

  /** Registers an answer's closer; returns what unregisters it (the answer ended by itself). */
  add(close: () => void): () => void {
    if (this.closing) {
      close();
      return () => undefined;
    }
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const close of [...this.closers]) close();
    this.closers.clear();
  }
}
