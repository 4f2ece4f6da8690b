/**
 * Built-in images that run no child process, for scale tests: thousands of them cost no fork.
 *   sleep-exit     logs a few lines, waits SLEEP_MS (default 0), exits with EXIT_CODE (default 0)
 *   sleep-forever  logs a line and runs until it is killed
 *   log-flood      logs LOG_MB (default 1) megabytes of numbered lines, a megabyte per turn of the event loop, and exits 0
 * All end at once on SIGTERM (exit 143) or SIGKILL (exit 137).
 */
import type { ContainerProcess, ContainerExit, OutputSink } from './container-runtime.js';
import type { Timers } from './timers.js';

/** Starts a built-in; returns what cancels its pending work when it is killed, if it has any. */
type Builtin = (env: Record<string, string>, output: OutputSink, timers: Timers, exit: (exitCode: number) => void) => (() => void) | void;

const BUILTINS: Record<string, Builtin> = {
  'sleep-exit': (env, output, timers, exit) => {
    const sleepMs = Number(env.SLEEP_MS ?? 0) || 0;
    const exitCode = Number(env.EXIT_CODE ?? 0) || 0;
    output('stdout', `Started ${env.HOSTNAME ?? ''}\n`);
    output('stdout', `Sleeping ${sleepMs} ms\n`);
    return timers.after(sleepMs, () => {
      output(exitCode ? 'stderr' : 'stdout', `Exiting with code ${exitCode}\n`);
      exit(exitCode);
    });
  },
  'sleep-forever': (env, output) => {
    output('stdout', `Started ${env.HOSTNAME ?? ''}, sleeping until killed\n`);
  },
  'log-flood': (env, output, timers, exit) => {
    const megabytes = Number(env.LOG_MB ?? 1) || 1;
    let written = 0;
    let line = 0;
    let cancelled = false;
    const writeMegabyte = () => {
      if (cancelled) return;
      let chunk = '';
      // Lines of exactly 64 bytes, so that a megabyte is 16,384 of them.
      while (chunk.length < 1024 * 1024) chunk += `line ${String(++line).padStart(10, '0')} ${'x'.repeat(47)}\n`;
      output('stdout', chunk);
      if (++written < megabytes) setImmediate(writeMegabyte);
      else exit(0);
    };
    timers.after(0, writeMegabyte);
    return () => void (cancelled = true);
  },
};

export function isBuiltinImage(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTINS, name);
}

const SIGNAL_EXIT: Record<string, number> = { SIGTERM: 143, SIGKILL: 137 };

export function startBuiltin(name: string, env: Record<string, string>, output: OutputSink, timers: Timers): ContainerProcess {
  let finish!: (exit: ContainerExit) => void;
  let done = false;
  let cancel: (() => void) | void;
  const exited = new Promise<ContainerExit>((resolve) => (finish = resolve));
  const exit = (exitCode: number, signal?: string) => {
    if (done) return;
    done = true;
    cancel?.();
    finish({ exitCode, signal });
  };
  // Deferred so that the caller sees the container running before its first line or exit.
  setImmediate(() => {
    if (!done) cancel = BUILTINS[name](env, output, timers, (code) => exit(code));
  });
  return { exited, signal: (signal) => exit(SIGNAL_EXIT[signal], signal) };
}
