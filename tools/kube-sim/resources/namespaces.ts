/** core/v1 Namespaces: cluster-scoped, `Terminating` while the namespace controller empties them. */
import { Namespace } from '../schema.js';
import type { ResourceType } from './types.js';

export const NAMESPACE_FINALIZER = 'kubernetes';

export const namespaces: ResourceType = {
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] } },
  schema: Namespace,
  nameRule: 'label',
  hasStatusSubresource: true,
  tracksGeneration: false,
  defaultPropagation: 'Background',
  returnsDeletedObject: true,
  fieldSelectors: { 'status.phase': (ns) => ns.status?.phase },
  normalize(ns) {
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name! };
  },
  prepareForCreate(ns) {
    ns.spec = { finalizers: [NAMESPACE_FINALIZER] };
    ns.status = { phase: 'Active' };
  },
  holdsDeletion: (ns) => (ns.spec?.finalizers ?? []).length > 0,
  onDeletionStarted(ns) {
    ns.status = { ...ns.status, phase: 'Terminating' };
  },
};
