// The values tables of charts/cloud-worker/README.md, made from the `## @param <key> <description>` lines of the
// charts' values.yaml files. The chart tests compare the README with them; to rewrite the tables after changing
// a values.yaml:
//   npx tsx test/chart/values-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { CHART } from './helm.js';

export interface ValuesParam {
  key: string;
  description: string;
  defaultValue: unknown;
}

/** The documented charts: the umbrella, and each subchart under the key the umbrella gives its values. */
export const DOCUMENTED_CHARTS = [
  { name: 'cloud-worker', dir: CHART, prefix: '' },
  { name: 'minio', dir: join(CHART, 'charts/minio'), prefix: 'minio.' },
  { name: 'work-queue', dir: join(CHART, 'charts/work-queue'), prefix: 'work-queue.' },
] as const;

export function valuesParams(chartDir: string): ValuesParam[] {
  const text = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
  const values = parse(text) as Record<string, unknown>;
  return [...text.matchAll(/^\s*## @param (\S+) (.+)$/gm)].map(([, key, description]) => ({ key, description, defaultValue: valueAt(values, key) }));
}

/** Keys of values.yaml that no `@param` documents, themselves or through a documented parent. */
export function undocumentedKeys(chartDir: string): string[] {
  const documented = new Set(valuesParams(chartDir).map((param) => param.key));
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const missing: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (documented.has(key)) return;
    if (isMap(value) && Object.keys(value).length > 0) for (const [child, item] of Object.entries(value)) walk(item, key ? `${key}.${child}` : child);
    else missing.push(key);
  };
  walk(values, '');
  return missing;
}

/** `@param` keys that values.yaml does not have. */
export function unknownParams(chartDir: string): string[] {
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  return valuesParams(chartDir)
    .filter((param) => !hasKey(values, param.key))
    .map((param) => param.key);
}

export function valuesTable(chartDir: string, prefix: string): string {
  const rows = valuesParams(chartDir).map(({ key, description, defaultValue }) => `| \`${prefix}${key}\` | ${description} | \`${JSON.stringify(defaultValue)}\` |`);
  return ['| Key | Description | Default |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with every `<!-- values-table:<chart> -->` … `<!-- /values-table -->` block rewritten. */
export function readmeWithTables(readme: string): string {
  return DOCUMENTED_CHARTS.reduce(
    (text, chart) => text.replace(new RegExp(`(<!-- values-table:${chart.name} -->)[\\s\\S]*?(<!-- /values-table -->)`), (_, start: string, end: string) => `${start}\n${valuesTable(chart.dir, chart.prefix)}\n${end}`),
    readme,
  );
}

function valueAt(values: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((value, part) => (isMap(value) ? value[part] : undefined), values);
}

function hasKey(values: Record<string, unknown>, key: string): boolean {
  const parts = key.split('.');
  const parent = parts.length === 1 ? values : valueAt(values, parts.slice(0, -1).join('.'));
  return isMap(parent) && parts.at(-1)! in parent;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const readmePath = join(CHART, 'README.md');
  writeFileSync(readmePath, readmeWithTables(readFileSync(readmePath, 'utf8')));
  console.log(`rewrote the values tables of ${readmePath}`);
}
