/** core/v1 Events, as controllers and the kubelet record them. */
import { FieldError } from '../errors.js';
import { Event } from '../schema.js';
import type { ResourceType } from './types.js';

export const events: ResourceType = {
  resource: 'events',
  singular: 'event',
  kind: 'Event',
  listKind: 'EventList',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: {},
  schema: Event,
  nameRule: 'subdomain',
  hasStatusSubresource: false,
  tracksGeneration: false,
  defaultPropagation: 'Background',
  returnsDeletedObject: false,
  fieldSelectors: {
    'involvedObject.kind': (e) => e.involvedObject?.kind,
    'involvedObject.namespace': (e) => e.involvedObject?.namespace,
    'involvedObject.name': (e) => e.involvedObject?.name,
    'involvedObject.uid': (e) => e.involvedObject?.uid,
    'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath,
    reason: (e) => e.reason,
    reportingComponent: (e) => e.reportingComponent,
    source: (e) => e.source?.component,
    type: (e) => e.type,
  },
  prepareForCreate() {},
  validate(event) {
    const involvedNamespace = event.involvedObject?.namespace;
    return involvedNamespace && involvedNamespace !== event.metadata.namespace
      ? [FieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace')]
      : [];
  },
};
