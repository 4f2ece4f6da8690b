import { canonicalRepository, parseImageReference, parseRepositoryPath, type ImageName } from './image-reference.js';

/** The settings of the image policy: ALLOWED_IMAGES, IMAGE_DENY_LATEST and IMAGE_REQUIRE_DIGEST. */
export interface ImagePolicySettings {
  allowed: string[];
  denyLatest: boolean;
  requireDigest: boolean;
}

/** A rule of the policy that an image broke, named after its setting, and why. */
export interface ImageDenial {
  rule: 'allowedImages' | 'imageDenyLatest' | 'imageRequireDigest';
  message: string;
}

/**
 * One ALLOWED_IMAGES pattern, read Docker's way so that `mstc/*` and `docker.io/mstc/*` are one pattern:
 * `*` (any image), `<registry or namespace>/*` (every repository below it, at any depth), or one repository.
 */
type ImagePattern = { kind: 'any' } | { kind: 'below'; registry: string; namespace: string } | { kind: 'exact'; registry: string; repository: string };

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Which images a work request may run, checked by the api and again by the worker. Patterns name registries and
 * repositories only: tags and digests are for IMAGE_DENY_LATEST and IMAGE_REQUIRE_DIGEST. A trailing `*` spans
 * any depth, so `harbor.example.org/mstc/*` admits `harbor.example.org/mstc/tools/python` too, as a Harbor
 * project's repositories may be nested and the project is what a site trusts.
 */
export class ImagePolicy {
  private readonly patterns: ImagePattern[];

  /** Throws naming the first bad pattern; the configuration checks them all at boot (`imagePatternProblem`). */
  constructor(private readonly settings: ImagePolicySettings) {
    this.patterns = settings.allowed.map((text) => {
      const pattern = readPattern(text);
      if (typeof pattern === 'string') throw new Error(`ALLOWED_IMAGES pattern "${text}" ${pattern}`);
      return pattern;
    });
  }

  /** Every rule of the policy the image breaks; none when it may run. The image must be a valid reference. */
  denials(image: string): ImageDenial[] {
    const name = parseImageReference(image);
    if (!name) return [];
    const allowed = `ALLOWED_IMAGES permits ${this.settings.allowed.join(', ')}`;
    const denials: ImageDenial[] = [];
    if (!this.patterns.some((pattern) => matches(pattern, name))) {
      denials.push({ rule: 'allowedImages', message: `image "${image}" (${canonicalRepository(name)}) is not allowed: ${allowed}` });
    }
    if (this.settings.denyLatest && (name.tag === 'latest' || (name.tag === undefined && name.digest === undefined))) {
      const why = name.tag === 'latest' ? 'refuses the tag "latest"' : 'refuses an image without tag or digest (it means "latest")';
      denials.push({ rule: 'imageDenyLatest', message: `image "${image}" is not allowed: IMAGE_DENY_LATEST ${why}; name a version tag or a digest (${allowed})` });
    }
    if (this.settings.requireDigest && !SHA256_DIGEST.test(name.digest ?? '')) {
      denials.push({ rule: 'imageRequireDigest', message: `image "${image}" is not allowed: IMAGE_REQUIRE_DIGEST requires a digest, "<image>@sha256:<64 hex digits>" (${allowed})` });
    }
    return denials;
  }
}

/** What is wrong with an ALLOWED_IMAGES pattern, or undefined when it is a good one. */
export function imagePatternProblem(text: string): string | undefined {
  const pattern = readPattern(text);
  return typeof pattern === 'string' ? pattern : undefined;
}

function readPattern(text: string): ImagePattern | string {
  if (text === '*') return { kind: 'any' };
  if (text.endsWith('/*')) {
    const base = parseRepositoryPath(text.slice(0, -2));
    return base ? { kind: 'below', registry: base.registry, namespace: base.path } : 'must be "*", "<registry or namespace>/*" or a repository, such as "harbor.example.org/mstc/*" or "mstc/python-test"';
  }
  if (text.includes('*')) return 'may use "*" only alone or as its last segment ("mstc/*")';
  const name = parseImageReference(text);
  if (!name) return 'is not a registry or repository name, such as "harbor.example.org/mstc/*" or "mstc/python-test"';
  if (name.tag !== undefined || name.digest !== undefined) return 'names a tag or digest: patterns name repositories (see IMAGE_DENY_LATEST, IMAGE_REQUIRE_DIGEST)';
  // `harbor.example.org` alone would be read as the Docker Hub image `library/harbor.example.org`.
  if (!text.includes('/') && text.includes('.')) return `reads as the Docker Hub image ${canonicalRepository(name)}; for a registry write "${text}/*"`;
  return { kind: 'exact', registry: name.registry, repository: name.repository };
}

function matches(pattern: ImagePattern, image: ImageName): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'below':
      return image.registry === pattern.registry && (pattern.namespace === '' || image.repository.startsWith(`${pattern.namespace}/`));
    case 'exact':
      return image.registry === pattern.registry && image.repository === pattern.repository;
  }
}
