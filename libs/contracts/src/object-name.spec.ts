import { describe, expect, it } from '@jest/globals';
import { longestObjectName, MAX_OBJECT_NAME_BYTES, objectKeyProblem, prefixProblem } from './object-name.js';

/** A prefix of `bytes` bytes in segments of at most 100, so that only the total can be too long. */
function prefixOf(bytes: number): string {
  const segments = Array.from({ length: Math.ceil(bytes / 101) }, () => 'p'.repeat(100)).join('/');
  return segments.slice(0, bytes).replace(/\/$/, 'p');
}

describe('prefixProblem', () => {
  it('takes the longest prefix whose manifest (its longest object name) is exactly 1024 bytes, and refuses one byte more', () => {
    const longest = prefixOf(946);
    expect(new TextEncoder().encode(longestObjectName(longest)).length).toBe(MAX_OBJECT_NAME_BYTES);
    expect(prefixProblem(longest)).toBeUndefined();
    expect(prefixProblem(prefixOf(947))).toBe(
      'is too long: the longest object name made from it, the manifest "<prefix>-<jobName>-<id>.manifest.json", would be 1025 bytes, more than the 1024 S3 allows',
    );
  });

  it('counts bytes of UTF-8, not characters', () => {
    // 478 characters, 946 bytes: at the limit; one more "ü" is over it.
    const umlauts = (last: number) => [...Array.from({ length: 9 }, () => 'ü'.repeat(50)), `a${'ü'.repeat(last)}`].join('/');
    expect(prefixProblem(umlauts(18))).toBeUndefined();
    expect(prefixProblem(umlauts(19))).toMatch(/^is too long: .* would be 1026 bytes/);
  });

  it('keeps every segment of the manifest within the 255 bytes MinIO stores', () => {
    // The manifest's last segment adds 78 bytes to the prefix's last one.
    expect(prefixProblem('s'.repeat(177))).toBeUndefined();
    expect(prefixProblem('s'.repeat(178))).toMatch(/^has a segment too long: .* a segment of 256 bytes/);
    expect(prefixProblem(`${'s'.repeat(256)}/x`)).toMatch(/^has a segment too long/);
  });

  it.each([
    ['a/../b', 'must not have "." or ".." segments'],
    ['..', 'must not have "." or ".." segments'],
    ['./x', 'must not have "." or ".." segments'],
    ['/x', 'must not begin with "/"'],
    ['a//b', 'must not contain "//" (an empty segment)'],
    ['a\\b', 'must not contain a backslash'],
    ['x/', 'must not end with "/": its last segment would be empty (object names are "<prefix>-<name>")'],
  ])('refuses %j: %s', (prefix, problem) => expect(prefixProblem(prefix)).toBe(problem));
});

describe('objectKeyProblem', () => {
  it.each(['a.txt', 'inputs/run-7/data.csv', "x!_.'()-y/z"])('takes %s', (key) => expect(objectKeyProblem(key)).toBeUndefined());

  it.each([
    ['../records/x', 'must not have "." or ".." segments'],
    ['a/./b', 'must not have "." or ".." segments'],
    ['/a', 'must not begin with "/"'],
    ['a/', 'must not end with "/": it would name a folder'],
    ['a//b', 'must not contain "//" (an empty segment)'],
    ['a\\b', "may only contain letters, digits and the characters ! _ . ' ( ) / -"],
    ['a b', "may only contain letters, digits and the characters ! _ . ' ( ) / -"],
    ['a*', "may only contain letters, digits and the characters ! _ . ' ( ) / -"],
    [`${'a/'.repeat(512)}b`, 'is 1025 bytes long, more than the 1024 S3 allows'],
    ['s'.repeat(256), 'has a segment longer than the 255 bytes S3 stores such as MinIO keep'],
  ])('refuses %s: %s', (key, problem) => expect(objectKeyProblem(key)).toBe(problem));
});
