/** core/v1 Pods: defaults, validation, which spec fields may change, and graceful deletion. */
import { FieldError } from '../errors.js';
import { jsonEqual, type KubeObject } from '../meta.js';
import { Pod } from '../schema.js';
import { defaultPodSpec, validatePodSpec } from './pod-spec.js';
import type { ResourceType } from './types.js';

export function isTerminalPhase(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function qosClass(pod: KubeObject): string {
  const containers: any[] = pod.spec?.containers ?? [];
  const hasResources = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  return hasResources ? 'Burstable' : 'BestEffort';
}

/** The spec fields a client may change on a live pod; the kubelet's own writes bypass this. */
function mutableView(spec: any): unknown {
  const strip = (containers: any[] | undefined) => containers?.map(({ image: _image, ...rest }) => rest);
  const { activeDeadlineSeconds: _deadline, tolerations: _tolerations, ...rest } = spec ?? {};
  return { ...rest, containers: strip(rest.containers), initContainers: strip(rest.initContainers) };
}

const POD_UPDATE_RULE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

export const pods: ResourceType = {
  resource: 'pods',
  singular: 'pod',
  kind: 'Pod',
  listKind: 'PodList',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: {
    status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    log: { kind: 'Pod', verbs: ['get'] },
  },
  schema: Pod,
  nameRule: 'subdomain',
  hasStatusSubresource: true,
  tracksGeneration: false,
  defaultPropagation: 'Background',
  returnsDeletedObject: true,
  fieldSelectors: {
    'spec.nodeName': (pod) => pod.spec?.nodeName,
    'spec.restartPolicy': (pod) => pod.spec?.restartPolicy,
    'spec.schedulerName': (pod) => pod.spec?.schedulerName,
    'spec.serviceAccountName': (pod) => pod.spec?.serviceAccountName,
    'spec.hostNetwork': (pod) => String(pod.spec?.hostNetwork ?? false),
    'status.phase': (pod) => pod.status?.phase,
    'status.podIP': (pod) => pod.status?.podIP,
    'status.nominatedNodeName': (pod) => pod.status?.nominatedNodeName,
  },
  normalize(pod) {
    defaultPodSpec((pod.spec ??= {}));
  },
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: qosClass(pod) };
  },
  validate(pod) {
    return validatePodSpec(pod.spec, 'spec', ['Always', 'OnFailure', 'Never']);
  },
  validateUpdate(pod, old) {
    return jsonEqual(mutableView(pod.spec), mutableView(old.spec)) ? [] : [FieldError.forbidden('spec', POD_UPDATE_RULE)];
  },
  /** A pod on a node gets its grace period to stop; an unscheduled or finished one goes at once. */
  gracePeriodSeconds(pod, requested) {
    if (!pod.spec?.nodeName || isTerminalPhase(pod)) return 0;
    return requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  },
};
