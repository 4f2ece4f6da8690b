import { describe, expect, it } from '@jest/globals';
import { imagePatternProblem, ImagePolicy, type ImagePolicySettings } from './image-policy.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function policy(allowed: string[], rules: Partial<ImagePolicySettings> = {}): ImagePolicy {
  return new ImagePolicy({ allowed, denyLatest: false, requireDigest: false, ...rules });
}

const allows = (allowed: string[], image: string) => policy(allowed).denials(image).length === 0;

describe('ImagePolicy', () => {
  it.each([
    // Docker Hub spelled three ways is one registry.
    [['mstc/*'], 'mstc/python-test'],
    [['mstc/*'], 'docker.io/mstc/python-test:1.0'],
    [['docker.io/mstc/*'], 'mstc/python-test'],
    [['index.docker.io/mstc/*'], 'mstc/python-test'],
    [['mstc/*'], 'mstc/team/tool'],
    // Official images live in `library/`.
    [['python'], 'python:3.12'],
    [['library/*'], 'python'],
    [['docker.io/library/python'], 'python@' + DIGEST],
    [['docker.io/*'], 'busybox'],
    // A registry, with or without a port, and nested repositories below a pattern.
    [['harbor.example.org/mstc/*'], 'harbor.example.org/mstc/python-test:0.1'],
    [['harbor.example.org/mstc/*'], 'harbor.example.org/mstc/tools/python'],
    [['Harbor.Example.org/mstc/*'], 'harbor.example.org/mstc/python-test'],
    [['harbor.example.org/*'], 'harbor.example.org/anything/at/all'],
    [['localhost:5000/*'], 'localhost:5000/app:v1'],
    [['mstc/python-test'], 'mstc/python-test:latest'],
    [['*'], 'ghcr.io/whoever/whatever'],
    [['evil/*', 'mstc/*'], 'mstc/python-test'],
  ])('%j allows %s', (allowed, image) => expect(allows(allowed, image)).toBe(true));

  it.each([
    [['mstc/*'], 'evil/miner'],
    [['mstc/*'], 'harbor.example.org/mstc/python-test'],
    // `mstc/*` is a namespace, not the official image `mstc`, nor a longer name that merely begins the same.
    [['mstc/*'], 'mstc'],
    [['mstc/*'], 'mstcx/tool'],
    [['python'], 'mstc/python'],
    [['python'], 'python2'],
    [['mstc/python-test'], 'mstc/python-test-2'],
    [['mstc/python-test'], 'mstc/python-test/sub'],
    [['harbor.example.org/mstc/*'], 'harbor.example.org/mstc'],
    [['harbor.example.org/mstc/*'], 'harbor.example.org:8443/mstc/tool'],
    [['harbor.example.org/mstc/*'], 'harbor.example.org.evil.io/mstc/tool'],
    [['localhost:5000/*'], 'localhost/app'],
    [['docker.io/*'], 'quay.io/app'],
  ])('%j refuses %s', (allowed, image) => expect(allows(allowed, image)).toBe(false));

  it('names the rule, the image as read and the allowed patterns', () => {
    expect(policy(['harbor.example.org/mstc/*', 'mstc/*']).denials('evil/miner')).toEqual([
      { rule: 'allowedImages', message: 'image "evil/miner" (docker.io/evil/miner) is not allowed: ALLOWED_IMAGES permits harbor.example.org/mstc/*, mstc/*' },
    ]);
  });

  describe('IMAGE_DENY_LATEST', () => {
    const denyLatest = policy(['mstc/*'], { denyLatest: true });

    it.each(['mstc/python-test', 'mstc/python-test:latest', `mstc/python-test:latest@${DIGEST}`])('refuses %s', (image) => {
      expect(denyLatest.denials(image)).toEqual([{ rule: 'imageDenyLatest', message: expect.stringMatching(/^image ".*" is not allowed: IMAGE_DENY_LATEST refuses .*\(ALLOWED_IMAGES permits mstc\/\*\)$/) }]);
    });

    it.each(['mstc/python-test:1.0', `mstc/python-test@${DIGEST}`, 'localhost:5000/mstc/tool:v2'])('takes %s', (image) => {
      expect(policy(['*'], { denyLatest: true }).denials(image)).toEqual([]);
    });

    it('says what an untagged image means', () => {
      expect(denyLatest.denials('mstc/python-test')[0]!.message).toBe(
        'image "mstc/python-test" is not allowed: IMAGE_DENY_LATEST refuses an image without tag or digest (it means "latest"); name a version tag or a digest (ALLOWED_IMAGES permits mstc/*)',
      );
    });
  });

  describe('IMAGE_REQUIRE_DIGEST', () => {
    const requireDigest = policy(['*'], { requireDigest: true });

    it.each(['mstc/python-test', 'mstc/python-test:1.0', 'localhost:5000/app', `app@sha512:${'ab'.repeat(64)}`])('refuses %s', (image) => {
      expect(requireDigest.denials(image).map((denial) => denial.rule)).toEqual(['imageRequireDigest']);
    });

    it.each([`mstc/python-test@${DIGEST}`, `mstc/python-test:1.0@${DIGEST}`])('takes %s', (image) => expect(requireDigest.denials(image)).toEqual([]));
  });

  it('reports every rule an image breaks', () => {
    const strict = policy(['harbor.example.org/*'], { denyLatest: true, requireDigest: true });
    expect(strict.denials('evil/miner:latest').map((denial) => denial.rule)).toEqual(['allowedImages', 'imageDenyLatest', 'imageRequireDigest']);
  });
});

describe('imagePatternProblem', () => {
  it.each(['*', 'mstc/*', 'docker.io/mstc/*', 'harbor.example.org/*', 'harbor.example.org/mstc/*', 'localhost:5000/*', 'mstc/python-test', 'python', '[::1]:5000/*'])(
    'takes %s',
    (pattern) => expect(imagePatternProblem(pattern)).toBeUndefined(),
  );

  it.each([
    ['mstc/*/tools', 'may use "*" only alone or as its last segment ("mstc/*")'],
    ['mstc*', 'may use "*" only alone or as its last segment ("mstc/*")'],
    ['*/python', 'may use "*" only alone or as its last segment ("mstc/*")'],
    ['mstc/python-test:1.0', 'names a tag or digest: patterns name repositories (see IMAGE_DENY_LATEST, IMAGE_REQUIRE_DIGEST)'],
    ['harbor.example.org', 'reads as the Docker Hub image docker.io/library/harbor.example.org; for a registry write "harbor.example.org/*"'],
    ['MSTC Tools/*', expect.stringMatching(/^must be "\*", "<registry or namespace>\/\*" or a repository/)],
    ['/*', expect.stringMatching(/^must be "\*"/)],
    ['mstc/Python', expect.stringMatching(/^is not a registry or repository name/)],
  ])('refuses %j', (pattern, problem) => expect(imagePatternProblem(pattern)).toEqual(problem));

  it('throws naming a bad pattern when a policy is built from it', () => {
    expect(() => policy(['mstc/*', 'mstc/*/x'])).toThrow('ALLOWED_IMAGES pattern "mstc/*/x" may use "*" only alone');
  });
});
