import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** What the CLI writes to: stdout for data, stderr for messages, progress and the status line. */
export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

/** Colour where a person reads it (clig.dev): on a terminal, not with NO_COLOR or TERM=dumb; FORCE_COLOR forces it. */
function wantsColor(stream: Streams['stdout'], env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/**
 * The CLI's output. On a terminal (stderr a TTY) it keeps one live status line at the bottom of stderr, redrawn
 * under whatever is printed; elsewhere a status is a plain line and nothing is redrawn, so piped output holds no
 * escape codes.
 */
export class Terminal {
  /** Colours for stdout and for stderr: each stream is a terminal or not on its own. */
  readonly out: Colors;
  readonly err: Colors;
  /** Whether progress bars and the live status line are drawn (on stderr). */
  readonly interactive: boolean;
  private statusText = '';

  constructor(readonly streams: Streams) {
    this.out = pc.createColors(wantsColor(streams.stdout, streams.env));
    this.err = pc.createColors(wantsColor(streams.stderr, streams.env));
    this.interactive = Boolean(streams.stderr.isTTY) && streams.env.TERM !== 'dumb';
  }

  /** Data: a line (or lines) on stdout. */
  print(text: string): void {
    this.underStatus(() => this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`));
  }

  /** Raw text on stdout, e.g. a piece of a log, as it came. */
  write(text: string): void {
    this.underStatus(() => this.streams.stdout.write(text));
  }

  /** A message on stderr. */
  info(text: string): void {
    this.underStatus(() => this.streams.stderr.write(`${text}\n`));
  }

  /** Raw text on stderr (a log piece while stdout is kept for JSON). */
  writeErr(text: string): void {
    this.underStatus(() => this.streams.stderr.write(text));
  }

  /** Sets the live status line (terminal only; the caller prints plain lines elsewhere). */
  status(text: string): void {
    if (!this.interactive) return;
    this.statusText = text;
    this.streams.stderr.write(`\r\x1b[K${text}`);
  }

  /** Removes the live status line, for good. */
  clearStatus(): void {
    if (!this.interactive || !this.statusText) return;
    this.streams.stderr.write('\r\x1b[K');
    this.statusText = '';
  }

  private underStatus(write: () => void): void {
    if (!this.statusText) return write();
    this.streams.stderr.write('\r\x1b[K');
    write();
    this.streams.stderr.write(this.statusText);
  }
}
