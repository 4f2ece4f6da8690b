// Runs the helm CLI for the chart tests: the real Helm where it is installed, else helm-lite (an offline
// stand-in that `.ci/run` builds into .local/helm-lite).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from './kubernetes-schemas.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'charts/cloud-worker');
const HELM_LITE = join(ROOT, '.local/helm-lite/bin/helm');

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let helmBinary: string | undefined;

/** $HELM, else `helm` on PATH, else the helm-lite build; a missing helm is an error, never a skipped test. */
export function findHelm(): string {
  if (helmBinary) return helmBinary;
  const candidates = process.env.HELM ? [process.env.HELM] : ['helm', HELM_LITE];
  helmBinary = candidates.find((candidate) => spawnSync(candidate, ['version', '--short'], { encoding: 'utf8' }).status === 0);
  if (!helmBinary) {
    throw new Error(
      `No working helm (tried ${candidates.join(', ')}). Install Helm 3 (https://helm.sh/docs/intro/install/) or set HELM=/path/to/helm; ` +
        'offline, build helm-lite: HELM_LITE_OUT=.local/helm-lite ../shared/tools/helm-lite/build.sh from the repository root (.ci/run does this).',
    );
  }
  return helmBinary;
}

export function helm(args: string[], cwd = ROOT): HelmResult {
  const result = spawnSync(findHelm(), args, { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RenderOptions {
  /** Values files, relative to the chart. */
  valuesFiles?: string[];
  set?: string[];
  release?: string;
  namespace?: string;
}

export const RELEASE = 'cw';
export const NAMESPACE = 'batch-jobs';

/** `helm template` arguments; the namespace is not `default`, so that a hard-coded namespace shows. */
export function templateArgs({ valuesFiles = [], set = [], release = RELEASE, namespace = NAMESPACE }: RenderOptions, chart = CHART): string[] {
  return ['template', release, chart, '--namespace', namespace, ...valuesFiles.flatMap((file) => ['-f', join(chart, file)]), ...set.flatMap((value) => ['--set', value])];
}

const renders = new Map<string, KubeObject[]>();

/** The chart's objects as `helm template` renders them (hooks included); one render per set of options. */
export function render(options: RenderOptions = {}, chart = CHART): KubeObject[] {
  const args = templateArgs(options, chart);
  const key = args.join('\0');
  let objects = renders.get(key);
  if (!objects) {
    const result = helm(args);
    if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
    objects = parseAllDocuments(result.stdout)
      .map((document) => document.toJS() as KubeObject | null)
      .filter((object): object is KubeObject => object !== null);
    renders.set(key, objects);
  }
  return objects;
}

type Values = Record<string, unknown>;

/** The chart's values.yaml with values files merged over it, as helm merges them (maps deeply, the rest replaced). */
export function mergedValues(valuesFiles: string[] = []): Values {
  return [readYaml('values.yaml'), ...valuesFiles.map(readYaml)].reduce(mergeValues);
}

export function readYaml(file: string): Values {
  return (parse(readFileSync(join(CHART, file), 'utf8')) ?? {}) as Values;
}

function mergeValues(base: Values, over: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isMap(current) && isMap(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
