/**
 * Running a container: a child process in its own process group (so a kill reaches its children), or a built-in.
 * The process is tethered to the simulator's: the kubelet's state lives in memory, so a container whose simulator
 * died (SIGKILL included) would run on with nobody to stop it.
 */
import { constants } from 'node:os';
import { spawnTethered } from '../local-stack/tethered.js';
import type { Stream } from './container-log.js';

export type OutputSink = (stream: Stream, text: string) => void;

export interface ContainerExit {
  exitCode: number;
  signal?: string;
  /** The process could not be started at all (Kubernetes reports reason StartError, exit code 128). */
  startError?: string;
}

export interface ContainerProcess {
  exited: Promise<ContainerExit>;
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export function startProcess(spec: ProcessSpec, output: OutputSink): ContainerProcess {
  const child = spawnTethered(spec.argv[0], spec.argv.slice(1), { env: spec.env, cwd: spec.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output('stdout', chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output('stderr', chunk));
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('error', (error) => {
      if (child.pid === undefined) resolve({ exitCode: 128, startError: error.message });
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      resolve(signal ? { exitCode: 128 + (constants.signals[signal] ?? 0), signal } : { exitCode: code ?? 0 });
    });
  });
  return {
    exited,
    signal(signal) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    },
  };
}
