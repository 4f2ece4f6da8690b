/**
 * S3 bucket naming rules (AWS general purpose buckets, which MinIO follows): 3–63 characters of lowercase
 * letters, digits, dots and hyphens, beginning and ending with a letter or digit, no two adjacent dots, not
 * formatted as an IP address, and none of the reserved prefixes or suffixes.
 * Returns the rule that is broken, or undefined for a valid name.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only contain lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'must not end with a reserved suffix';
  return undefined;
}
