// The grammar of an OCI image reference: [host[:port]/]path[:tag][@digest], after the distribution spec.
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${hostComponent}(?:\\.${hostComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const path = `${pathComponent}(?:/${pathComponent})*`;
const IMAGE_REFERENCE = new RegExp(`^(?:${host}/)?${path}(?::${tag})?(?:@${digest})?$`);

/** Longest reference accepted; a repository name alone may have 255 characters. */
export const MAX_IMAGE_REFERENCE_LENGTH = 512;

export function isImageReference(value: string): boolean {
  if (value.length === 0 || value.length > MAX_IMAGE_REFERENCE_LENGTH) return false;
  if (!IMAGE_REFERENCE.test(value)) return false;
  // The first component is a registry host only when it looks like one; otherwise it belongs to the path,
  // which must then be lowercase (`MyOrg/app` is invalid, `Registry.io/app` is a host).
  const slash = value.indexOf('/');
  if (slash === -1) return true;
  const first = value.slice(0, slash);
  const looksLikeHost = first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  return looksLikeHost || new RegExp(`^${pathComponent}$`).test(first);
}
