/**
 * Image references and the image catalogue: which local command (or built-in) stands for which image.
 * The catalogue is JSON mapping a reference, with or without tag or digest, to an entry:
 *   { "command": ["node", "./script.mjs"], "env": { "K": "v" }, "cwd": "." }  — a child process
 *   { "inProcess": "sleep-exit", "env": { … } }                               — a built-in, no process
 * Relative `command` elements (starting with ./ or ../) and `cwd` resolve against the catalogue file's
 * folder; for a catalogue given as an object, against the repository root.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProcessImage {
  command: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface InProcessImage {
  inProcess: string;
  env?: Record<string, string>;
}

export type CatalogueEntry = ProcessImage | InProcessImage;
export type ImageCatalogue = Record<string, CatalogueEntry>;

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('./catalogue/catalogue.json', import.meta.url));

export interface ImageReference {
  /** Registry host, `docker.io` when the reference names none. */
  domain: string;
  /** Repository path, with `library/` for single-component Docker Hub names. */
  path: string;
  tag?: string;
  digest?: string;
}

export class InvalidImageReference extends Error {}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Parses a reference the way the container runtime's normaliser does (distribution/reference). */
export function parseImageReference(reference: string): ImageReference {
  const invalid = (why: string) => new InvalidImageReference(`couldn't parse image name "${reference}": invalid reference format${why}`);
  if (!reference || reference !== reference.trim()) throw invalid('');
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid('');
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const domain = hasDomain ? first : 'docker.io';
  const path = hasDomain ? rest.slice(slash + 1) : rest;
  if (hasDomain && !DOMAIN.test(domain)) throw invalid('');
  if (path !== path.toLowerCase()) throw invalid(': repository name must be lowercase');
  if (!path || !path.split('/').every((component) => PATH_COMPONENT.test(component))) throw invalid('');
  const fullPath = domain === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
  return { domain, path: fullPath, tag, digest };
}

export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The fully qualified name the runtime reports, e.g. `docker.io/mstc/python-test:latest`. */
export function canonicalName(ref: ImageReference): string {
  return ref.digest ? `${repositoryOf(ref)}@${ref.digest}` : `${repositoryOf(ref)}:${ref.tag ?? 'latest'}`;
}

/** `Always` for `latest` or untagged references, as the API server defaults imagePullPolicy. */
export function defaultPullPolicy(image: string | undefined): string {
  try {
    const ref = parseImageReference(image ?? '');
    return !ref.digest && (!ref.tag || ref.tag === 'latest') ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}

export interface ResolvedImage {
  entry: CatalogueEntry;
  /** The catalogue key that matched, for messages. */
  key: string;
}

interface CatalogueRow {
  ref: ImageReference;
  entry: CatalogueEntry;
  key: string;
}

function resolvePaths(entry: CatalogueEntry, baseDir: string): CatalogueEntry {
  if (!('command' in entry)) return entry;
  const local = (part: string) => (part.startsWith('./') || part.startsWith('../') ? resolve(baseDir, part) : part);
  return {
    ...entry,
    command: entry.command.map(local),
    ...(entry.cwd ? { cwd: isAbsolute(entry.cwd) ? entry.cwd : resolve(baseDir, entry.cwd) } : {}),
  };
}

function checkEntry(key: string, entry: unknown): CatalogueEntry {
  const ok =
    typeof entry === 'object' &&
    entry !== null &&
    ((Array.isArray((entry as ProcessImage).command) && (entry as ProcessImage).command.length > 0) ||
      typeof (entry as InProcessImage).inProcess === 'string');
  if (!ok) throw new Error(`image catalogue entry "${key}" needs a non-empty "command" list or an "inProcess" name`);
  return entry as CatalogueEntry;
}

/** Images the kubelet can "pull": later sources override earlier ones, key by key. */
export class Catalogue {
  private readonly rows: CatalogueRow[] = [];

  add(images: ImageCatalogue, baseDir: string): void {
    for (const [key, entry] of Object.entries(images)) {
      const ref = parseImageReference(key);
      const row = { ref, entry: resolvePaths(checkEntry(key, entry), baseDir), key };
      const existing = this.rows.findIndex((r) => r.key === key);
      if (existing >= 0) this.rows[existing] = row;
      else this.rows.push(row);
    }
  }

  addFile(path: string): void {
    this.add(JSON.parse(readFileSync(path, 'utf8')) as ImageCatalogue, dirname(resolve(path)));
  }

  /** The most specific match: same digest, then same tag, then the repository with no tag or digest. */
  resolve(ref: ImageReference): ResolvedImage | undefined {
    const sameRepository = this.rows.filter((row) => repositoryOf(row.ref) === repositoryOf(ref));
    const match =
      (ref.digest && sameRepository.find((row) => row.ref.digest === ref.digest)) ||
      sameRepository.find((row) => !row.ref.digest && row.ref.tag !== undefined && row.ref.tag === (ref.tag ?? 'latest') && !ref.digest) ||
      sameRepository.find((row) => !row.ref.digest && row.ref.tag === undefined);
    return match ? { entry: match.entry, key: match.key } : undefined;
  }
}
