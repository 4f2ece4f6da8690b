/**
 * One container's log: stdout and stderr interleaved by line, each line with the time it arrived,
 * readable with tailLines / limitBytes / sinceTime / timestamps and followable until the container ends.
 * With a file path it is also written to disk in the CRI log format (`<time> <stream> F <line>`).
 */
import { appendFileSync } from 'node:fs';

export type Stream = 'stdout' | 'stderr';

interface LogLine {
  time: number;
  text: string;
}

export interface LogReadOptions {
  tailLines?: number;
  limitBytes?: number;
  timestamps?: boolean;
  sinceMs?: number;
}

/** RFC 3339 with fractional seconds and no trailing zeros, as Go's RFC3339Nano prints. */
export function logTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

function render(lines: LogLine[], options: LogReadOptions): string {
  return lines.map((line) => (options.timestamps ? `${logTimestamp(line.time)} ${line.text}` : line.text)).join('');
}

export class ContainerLog {
  private readonly lines: LogLine[] = [];
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };
  private readonly followers = new Set<{ write: (text: string) => void; end: () => void; options: LogReadOptions; written: number }>();
  private ended = false;

  constructor(private readonly file?: string) {}

  /** Output after the end (a process dying after its pod was removed) is dropped. */
  append(stream: Stream, chunk: string): void {
    if (this.ended) return;
    const text = this.partial[stream] + chunk;
    const pieces = text.split('\n');
    this.partial[stream] = pieces.pop()!;
    for (const piece of pieces) this.push(stream, `${piece}\n`);
  }

  /** The container ended: flush unterminated lines and end followers. */
  end(): void {
    if (this.ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.push(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    this.ended = true;
    for (const follower of this.followers) follower.end();
    this.followers.clear();
  }

  read(options: LogReadOptions = {}): string {
    const text = render(this.select(options), options);
    return options.limitBytes !== undefined ? Buffer.from(text).subarray(0, options.limitBytes).toString() : text;
  }

  /** Writes what is there, then every new line until the container ends or `limitBytes` is reached. */
  follow(write: (text: string) => void, end: () => void, options: LogReadOptions = {}): () => void {
    const initial = this.read(options);
    const follower = { write, end, options, written: Buffer.byteLength(initial) };
    if (initial) write(initial);
    if (this.ended || this.limitReached(follower)) {
      end();
      return () => {};
    }
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  private limitReached(follower: { options: LogReadOptions; written: number }): boolean {
    return follower.options.limitBytes !== undefined && follower.written >= follower.options.limitBytes;
  }

  private select({ tailLines, sinceMs }: LogReadOptions): LogLine[] {
    let lines = sinceMs === undefined ? this.lines : this.lines.filter((line) => line.time >= sinceMs);
    if (tailLines !== undefined) lines = tailLines <= 0 ? [] : lines.slice(-tailLines);
    return lines;
  }

  private push(stream: Stream, text: string): void {
    const line = { time: Date.now(), text };
    this.lines.push(line);
    if (this.file) appendFileSync(this.file, `${logTimestamp(line.time)} ${stream} F ${text.endsWith('\n') ? text : `${text}\n`}`);
    for (const follower of this.followers) {
      let out = render([line], follower.options);
      if (follower.options.limitBytes !== undefined) out = Buffer.from(out).subarray(0, follower.options.limitBytes - follower.written).toString();
      follower.written += Buffer.byteLength(out);
      if (out) follower.write(out);
      if (this.limitReached(follower)) {
        follower.end();
        this.followers.delete(follower);
      }
    }
  }
}
