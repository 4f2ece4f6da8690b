// The grammar of an OCI image reference: [host[:port]/]path[:tag][@digest], after the distribution spec.
// Written out here because no maintained parser of Docker's reference grammar is among the project's packages.
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${hostComponent}(?:\\.${hostComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const path = `${pathComponent}(?:/${pathComponent})*`;
const IMAGE_REFERENCE = new RegExp(`^(?:${host}/)?${path}(?::${tag})?(?:@${digest})?$`);
const HOST = new RegExp(`^${host}$`);
const PATH = new RegExp(`^${path}$`);

/** Longest reference accepted; a repository name alone may have 255 characters. */
export const MAX_IMAGE_REFERENCE_LENGTH = 512;

/** The registry of references that name none, as Docker reads them. */
export const DOCKER_HUB = 'docker.io';

/** An image reference as Docker reads it: `python` is `docker.io/library/python` with the tag `latest` implied. */
export interface ImageName {
  /** The registry host, with its port if given; lowercase, as host names compare. */
  registry: string;
  /** The repository in that registry; Docker Hub's official images are under `library/`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
}

export function isImageReference(value: string): boolean {
  if (value.length === 0 || value.length > MAX_IMAGE_REFERENCE_LENGTH) return false;
  if (!IMAGE_REFERENCE.test(value)) return false;
  // A first component that does not look like a host belongs to the path, which must then be lowercase
  // (`MyOrg/app` is invalid, `Registry.io/app` is a host).
  const slash = value.indexOf('/');
  if (slash === -1) return true;
  const first = value.slice(0, slash);
  return looksLikeHost(first) || new RegExp(`^${pathComponent}$`).test(first);
}

/** Reads a reference the way Docker does; undefined when it is not one. */
export function parseImageReference(value: string): ImageName | undefined {
  if (!isImageReference(value)) return undefined;
  const at = value.indexOf('@');
  const nameAndTag = at === -1 ? value : value.slice(0, at);
  const colon = nameAndTag.lastIndexOf(':');
  // A colon after the last slash starts the tag; one before it belongs to the registry's port.
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const { registry, path: repository } = splitRegistry(hasTag ? nameAndTag.slice(0, colon) : nameAndTag);
  return {
    registry,
    repository: registry === DOCKER_HUB && !repository.includes('/') ? `library/${repository}` : repository,
    ...(hasTag && { tag: nameAndTag.slice(colon + 1) }),
    ...(at !== -1 && { digest: value.slice(at + 1) }),
  };
}

/** `registry/repository`, the name two spellings of one image share (`python`, `docker.io/library/python`). */
export function canonicalRepository(image: ImageName): string {
  return `${image.registry}/${image.repository}`;
}

/**
 * A repository name or a namespace of repositories without tag or digest (`mstc`, `harbor.example.org/mstc`), or
 * a registry alone (`harbor.example.org`, `localhost:5000`), split Docker's way. Undefined when it is none of these.
 */
export function parseRepositoryPath(value: string): { registry: string; path: string } | undefined {
  if (!value.includes('/') && looksLikeHost(value)) return HOST.test(value) ? { registry: normaliseRegistry(value), path: '' } : undefined;
  const split = splitRegistry(value);
  return (split.registry === DOCKER_HUB || HOST.test(value.slice(0, value.indexOf('/')))) && PATH.test(split.path) ? split : undefined;
}

/** Whether a name's first component is a registry host rather than part of the path (Docker's rule). */
export function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

function splitRegistry(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  if (slash === -1 || !looksLikeHost(name.slice(0, slash))) return { registry: DOCKER_HUB, path: name };
  return { registry: normaliseRegistry(name.slice(0, slash)), path: name.slice(slash + 1) };
}

/** Host names compare without case; `index.docker.io` is Docker Hub's old name. */
function normaliseRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return lower === 'index.docker.io' ? DOCKER_HUB : lower;
}
