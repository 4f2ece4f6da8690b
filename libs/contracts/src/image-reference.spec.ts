import { describe, expect, it } from '@jest/globals';
import { isImageReference, parseImageReference } from './image-reference.js';

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

describe('parseImageReference', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

  it.each([
    ['python', { registry: 'docker.io', repository: 'library/python' }],
    ['python:3.12', { registry: 'docker.io', repository: 'library/python', tag: '3.12' }],
    ['mstc/python-test', { registry: 'docker.io', repository: 'mstc/python-test' }],
    ['docker.io/python', { registry: 'docker.io', repository: 'library/python' }],
    ['index.docker.io/mstc/x', { registry: 'docker.io', repository: 'mstc/x' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/team/app:v1', { registry: 'localhost:5000', repository: 'team/app', tag: 'v1' }],
    ['Registry.Example.com:443/a/b/c', { registry: 'registry.example.com:443', repository: 'a/b/c' }],
    [`app:1.0@${digest}`, { registry: 'docker.io', repository: 'library/app', tag: '1.0', digest }],
    [`harbor.example.org/mstc/app@${digest}`, { registry: 'harbor.example.org', repository: 'mstc/app', digest }],
  ])('reads %s as Docker does', (reference, name) => expect(parseImageReference(reference)).toEqual(name));

  it('reads nothing from what is not a reference', () => expect(parseImageReference('Not an image')).toBeUndefined());
});
