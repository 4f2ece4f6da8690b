// Runs the shell scripts of the chart's own containers (the broker's definitions init container, the Jobs' S3
// user hook) on this machine, with what the kubelet would give them: their ConfigMap volumes as files, their
// emptyDirs, their environment with Secrets resolved. Each mount path is moved under a temporary directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Release, SecretKeyRef, Workload } from './release.js';

interface VolumeMount {
  name: string;
  mountPath: string;
}

interface Volume {
  name: string;
  configMap?: { name: string };
  emptyDir?: object;
}

export interface LocalRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The environment the script ran with, mount paths moved. */
  env: Record<string, string>;
  /** A file the script wrote, by its path in the container. */
  readFile(containerPath: string): string;
  cleanup(): void;
}

export interface RunOptions {
  /** Values of Secrets the render does not create. */
  secretValue: (ref: SecretKeyRef) => string;
  /** Variables set over the container's own (e.g. a PATH with stand-ins for the image's programs). */
  overrides?: Record<string, string>;
}

export function runContainerLocally(release: Release, workload: Workload, container: Container, options: RunOptions): LocalRun {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-worker-container-'));
  const volumes = ((workload.pod as unknown as { volumes?: Volume[] }).volumes ?? []).reduce((byName, volume) => byName.set(volume.name, volume), new Map<string, Volume>());
  const mounts = (container as unknown as { volumeMounts?: VolumeMount[] }).volumeMounts ?? [];
  const local = (path: string) => {
    const mount = mounts.filter((candidate) => path === candidate.mountPath || path.startsWith(`${candidate.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    return mount ? join(dir, mount.name, path.slice(mount.mountPath.length)) : path;
  };
  for (const mount of mounts) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new Error(`${container.name} mounts ${mount.name}, which the pod lacks`);
    mkdirSync(join(dir, mount.name), { recursive: true });
    if (volume.configMap) {
      const data = (release.get('ConfigMap', volume.configMap.name).data ?? {}) as Record<string, string>;
      for (const [file, text] of Object.entries(data)) writeFileSync(join(dir, mount.name, file), text);
    } else if (!volume.emptyDir) {
      throw new Error(`${container.name}: volume ${mount.name} is neither a ConfigMap nor an emptyDir`);
    }
  }
  const env = Object.fromEntries(release.environment(workload, container, options.secretValue).map((variable) => [variable.name, local(variable.value)]));
  const command = [...((container as unknown as { command?: string[] }).command ?? []), ...(container.args ?? [])].map(local);
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...options.overrides } });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    env,
    readFile: (containerPath) => readFileSync(local(containerPath), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The workload with an init or app container of this name, and that container. */
export function containerNamed(release: Release, name: string): { workload: Workload; container: Container } | undefined {
  for (const workload of release.workloads()) {
    const container = [...(workload.pod.initContainers ?? []), ...workload.pod.containers].find((candidate) => candidate.name === name);
    if (container) return { workload, container };
  }
  return undefined;
}
