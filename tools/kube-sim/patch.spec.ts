import { describe, expect, it } from '@jest/globals';
import { applyJsonPatch, applyMergePatch, PatchConflictError, PatchFormatError, strategicMerge } from './patch.js';
import { Job } from './schema.js';

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: '1' }, finalizers: ['x'] }, spec: { ttlSecondsAfterFinished: 30 } };

  it('adds, replaces, removes, moves and copies', () => {
    const result = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/annotations', value: { 'k/v': 'w' } },
      { op: 'replace', path: '/spec/ttlSecondsAfterFinished', value: 0 },
      { op: 'add', path: '/metadata/finalizers/-', value: 'y' },
      { op: 'remove', path: '/metadata/finalizers/0' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/b' },
      { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/c' },
    ]);
    expect(result).toEqual({ metadata: { labels: { b: '1', c: '1' }, annotations: { 'k/v': 'w' }, finalizers: ['y'] }, spec: { ttlSecondsAfterFinished: 0 } });
    expect(doc.metadata.finalizers).toEqual(['x']);
  });

  it('escapes ~1 and ~0 in pointers', () => {
    expect(applyJsonPatch({ a: {} }, [{ op: 'add', path: '/a/x~1y~0z', value: 1 }])).toEqual({ a: { 'x/y~z': 1 } });
  });

  it('fails the whole patch on a failed test, leaving the document unchanged', () => {
    const operations = [
      { op: 'replace', path: '/spec/ttlSecondsAfterFinished', value: 5 },
      { op: 'test', path: '/metadata/labels/a', value: '2' },
    ];
    expect(() => applyJsonPatch(doc, operations)).toThrow(new PatchConflictError('testing value /metadata/labels/a failed: test failed'));
    expect(doc.spec.ttlSecondsAfterFinished).toBe(30);
  });

  it('passes a test of an absent value only against null', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/annotations', value: {} }])).toThrow(PatchConflictError);
  });

  it('refuses operations on missing paths and malformed patches', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/missing', value: 1 }])).toThrow(PatchConflictError);
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/nope/deeper', value: 1 }])).toThrow(PatchConflictError);
    expect(() => applyJsonPatch(doc, { op: 'add' })).toThrow(PatchFormatError);
    expect(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/a' }])).toThrow(PatchFormatError);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null, replaces lists', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });
});

describe('strategic merge patch', () => {
  const job = {
    metadata: { name: 'j', labels: { a: '1' }, finalizers: ['one'] },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'main', image: 'x:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'side', image: 'y:1' },
          ],
        },
      },
    },
  };

  it('merges containers and env by name', () => {
    const result = strategicMerge(job, { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } } }, Job) as any;
    expect(result.spec.template.spec.containers).toEqual([
      { name: 'main', image: 'x:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] },
      { name: 'side', image: 'y:1' },
    ]);
  });

  it('deletes list items with $patch: delete and map keys with null', () => {
    const result = strategicMerge(job, { metadata: { labels: { a: null, b: '2' } }, spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } }, Job) as any;
    expect(result.metadata.labels).toEqual({ b: '2' });
    expect(result.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['main']);
  });

  it('merges finalizers as a set and honours $deleteFromPrimitiveList', () => {
    expect((strategicMerge(job, { metadata: { finalizers: ['two', 'one'] } }, Job) as any).metadata.finalizers).toEqual(['one', 'two']);
    expect((strategicMerge(job, { metadata: { '$deleteFromPrimitiveList/finalizers': ['one'] } }, Job) as any).metadata.finalizers).toEqual([]);
  });

  it('orders a merged list by $setElementOrder, as kubectl apply sends it', () => {
    const result = strategicMerge(job, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }], containers: [{ name: 'side', image: 'y:2' }] } } } }, Job) as any;
    expect(result.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['side=y:2', 'main=x:1']);
  });

  it('replaces lists the schema does not merge, and whole maps with $patch: replace', () => {
    const result = strategicMerge(job, { spec: { template: { spec: { containers: [{ name: 'main', args: ['a'] }] } } }, metadata: { labels: { $patch: 'replace', z: '9' } } }, Job) as any;
    expect(result.spec.template.spec.containers[0].args).toEqual(['a']);
    expect(result.metadata.labels).toEqual({ z: '9' });
  });
});
