import { describe, expect, it } from '@jest/globals';
import { isImageReference } from './image-reference.js';

describe('isImageReference', () => {
  it.each([
    'mstc/python-test',
    'mstc/python-test:latest',
    'busybox',
    'registry.example.com:5000/team/tool:1.2',
    'localhost/app',
    'localhost:5000/app:v1',
    'harbor.geddes.rcac.purdue.edu/project/app:0.1.0',
    'app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'ghcr.io/org/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'Registry.Example.com/app',
    // Like Docker, an uppercase first component is taken for a registry host.
    'Mstc/python-test',
    'a/b__c/d-e.f',
  ])('accepts %s', (reference) => expect(isImageReference(reference)).toBe(true));

  it.each([
    '',
    'mstc/Python',
    'app:',
    'app:-tag',
    'app@sha256:short',
    'has space',
    '/leading-slash',
    'trailing/',
    'a//b',
    `app:${'t'.repeat(129)}`,
  ])('rejects %j', (reference) => expect(isImageReference(reference)).toBe(false));
});
