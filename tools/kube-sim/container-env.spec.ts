import { describe, expect, it } from '@jest/globals';
import { ContainerConfigError, containerEnv, expandVariables } from './container-env.js';
import type { KubeObject } from './meta.js';

const secret: KubeObject = { metadata: { name: 's', namespace: 'ns' }, data: { user: Buffer.from('alice').toString('base64') } };
const lookup = (namespace: string, name: string) => (namespace === 'ns' && name === 's' ? secret : undefined);
const pod: KubeObject = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'a' } },
  spec: { nodeName: 'node' },
  status: { podIP: '10.0.0.1', hostIP: '172.0.0.1' },
};

describe('container environment', () => {
  it('resolves literals, secrets, fieldRefs and $(VAR) references', () => {
    const env = containerEnv(
      pod,
      {
        env: [
          { name: 'A', value: 'x' },
          { name: 'B', value: '$(A)-$(MISSING)-$$(A)' },
          { name: 'USER', valueFrom: { secretKeyRef: { name: 's', key: 'user' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        ],
      },
      lookup,
    );
    expect(env).toEqual({ A: 'x', B: 'x-$(MISSING)-$(A)', USER: 'alice', POD: 'p', NS: 'ns', UID: 'u', NODE: 'node', IP: '10.0.0.1', APP: 'a' });
  });

  it('fails on a missing secret or key as the kubelet words it, unless optional', () => {
    expect(() => containerEnv(pod, { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }, lookup)).toThrow(new ContainerConfigError('secret "gone" not found'));
    expect(() => containerEnv(pod, { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, lookup)).toThrow("couldn't find key k in Secret ns/s");
    expect(containerEnv(pod, { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } }] }, lookup)).toEqual({});
  });

  it('takes every key of envFrom secrets, with a prefix, before env', () => {
    expect(containerEnv(pod, { envFrom: [{ prefix: 'S_', secretRef: { name: 's' } }], env: [{ name: 'S_user', value: 'bob' }] }, lookup)).toEqual({ S_user: 'bob' });
  });

  it('expands only defined variables', () => {
    expect(expandVariables('$(A) $(B)', { A: '1' })).toBe('1 $(B)');
  });
});
