import { describe, expect, it } from '@jest/globals';
import { decodeKubernetesProtobuf, ProtobufError } from './protobuf.js';
import { typeOfKind } from './resources/index.js';

/** Request bodies captured from kubectl 1.32 (`kubectl create job|secret|namespace`). */
const KUBECTL_BODIES = {
  job: 'azhzAAoPCghiYXRjaC92MRIDSm9iEoEBChEKAXgSABoAIgAqADIAOABCABJiMmAKEAoAEgAaACIAKgAyADgAQgASTBIpCgF4EhBtc3RjL3B5dGhvbi10ZXN0KgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==',
  jobWithCommand:
    'azhzAAoPCghiYXRjaC92MRIDSm9iEpABChEKAXkSABoAIgAqADIAOABCABJxMm8KEAoAEgAaACIAKgAyADgAQgASWxI4CgF5EhBtc3RjL3B5dGhvbi10ZXN0GgRub2RlGgRhLmpzGgFiKgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==',
  secret: 'azhzAAoMCgJ2MRIGU2VjcmV0Eh0KEQoBcxIAGgAiACoAMgA4AEIAEgYKAWESAWIaABoAIgA=',
  namespace: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDZm9vEgAaACIAKgAyADgAQgASABoCCgAaACIA',
};

const decode = (base64: string) => decodeKubernetesProtobuf(Buffer.from(base64, 'base64'), (apiVersion, kind) => typeOfKind(apiVersion, kind)?.schema);

describe('Kubernetes protobuf decoding', () => {
  it('decodes the Job kubectl create job sends, dropping the zero values Go wrote', () => {
    expect(decode(KUBECTL_BODIES.job).object).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'x' },
      spec: { template: { metadata: {}, spec: { containers: [{ name: 'x', image: 'mstc/python-test', resources: {} }], restartPolicy: 'Never' } } },
      status: {},
    });
  });

  it('keeps the command of kubectl create job … -- command args', () => {
    expect(decode(KUBECTL_BODIES.jobWithCommand).object.spec.template.spec.containers[0].command).toEqual(['node', 'a.js', 'b']);
  });

  it('decodes a Secret with its bytes map as base64', () => {
    expect(decode(KUBECTL_BODIES.secret)).toEqual({ apiVersion: 'v1', kind: 'Secret', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' } } });
  });

  it('decodes a Namespace', () => {
    expect(decode(KUBECTL_BODIES.namespace).object).toMatchObject({ kind: 'Namespace', metadata: { name: 'foo' } });
  });

  it('refuses bodies without the k8s magic, and unknown kinds', () => {
    expect(() => decode(Buffer.from('{"kind":"Job"}').toString('base64'))).toThrow(ProtobufError);
    const podKind = Buffer.from(KUBECTL_BODIES.namespace, 'base64');
    podKind.write('Gizmo####', podKind.indexOf('Namespace'), 'latin1');
    expect(() => decode(podKind.toString('base64'))).toThrow('no kind "Gizmo####" is registered for version "v1"');
  });
});
