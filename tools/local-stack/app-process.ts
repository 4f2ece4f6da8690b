import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnTethered } from './tethered.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Where `nest build` puts each app; the tests run exactly what the image runs. */
export const APP_ENTRIES = {
  api: resolve(ROOT, 'dist/apps/api/apps/api/src/main.js'),
  'cloud-worker': resolve(ROOT, 'dist/apps/cloud-worker/apps/cloud-worker/src/main.js'),
} as const;

export type AppName = keyof typeof APP_ENTRIES;

export interface AppProcessOptions {
  /** Copies its output to this process's (default: E2E_LOGS set, to see it in tests); can be changed later. */
  echo?: boolean;
  /** The app gets SIGTERM when this process dies, SIGKILL included (see `spawnTethered`); npm run dev sets it. */
  tethered?: boolean;
}

/** One of the apps, running as its own process from the production build. */
export class AppProcess {
  /** Every log line, parsed when it is JSON. */
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  private url: string | undefined;
  private readonly listening: Promise<string>;

  private constructor(
    readonly name: AppName,
    private readonly child: ChildProcess,
    /** Whether its output is copied to this process's, from now on. */
    public echo: boolean,
  ) {
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    this.listening = new Promise((resolveUrl, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const entry = parseLine(line);
        this.lines.push(entry);
        if (this.echo) process.stdout.write(`${line}\n`);
        if (typeof entry.url === 'string' && !this.url) {
          this.url = entry.url.replace('[::1]', '127.0.0.1');
          resolveUrl(this.url);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        this.lines.push({ stderr: chunk.toString() });
        if (this.echo) process.stderr.write(chunk);
      });
      void this.exited.then((code) => reject(new Error(`${name} exited with ${code} before listening:\n${this.output()}`)));
    });
    this.listening.catch(() => undefined);
  }

  /** Starts the app (set E2E_LOGS=1 to see its output in tests). */
  static start(name: AppName, env: Record<string, string>, options: AppProcessOptions = {}): AppProcess {
    const child = (options.tethered ? spawnTethered : spawn)(process.execPath, [APP_ENTRIES[name]], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'debug', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(name, child, options.echo ?? Boolean(process.env.E2E_LOGS));
  }

  /** The URL of its HTTP server, once it listens. */
  whenListening(): Promise<string> {
    return this.listening;
  }

  /**
   * Resolves once `/health/ready` answers 200, as a Kubernetes readiness probe would wait for: within
   * `startTimeoutMs` of now the app must listen (the worker announces its URL only once it consumes, after
   * taking over earlier Jobs), and within `timeoutMs` of that be ready.
   */
  async whenReady(timeoutMs = 20_000, startTimeoutMs = 60_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const url = await Promise.race([
      this.whenListening(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${startTimeoutMs} ms:\n${this.output()}`)), startTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await fetch(`${url}/health/ready`).then((response) => response.status, () => 0);
      if (status === 200) return url;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output()}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when a log line matches. */
  async waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${this.name}: no matching log line within ${timeoutMs} ms:\n${this.output()}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  output(): string {
    return this.lines
      .slice(-60)
      .map((line) => JSON.stringify(line))
      .join('\n');
  }
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { msg: line };
  } catch {
    return { msg: line };
  }
}
