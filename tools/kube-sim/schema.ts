/**
 * The shapes of the API types the simulator serves, in one table per type. One description serves three
 * readers: strict field validation (`fieldValidation=Strict`), protobuf decoding (field numbers as in
 * k8s.io/api's generated.proto) and strategic merge patch (merge keys).
 * Fields the project never looks into are `any`: JSON content there is accepted and kept unchecked,
 * protobuf decoding skips it.
 */

export type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'time' | 'quantity' | 'any';

export interface FieldSpec {
  /** Field number in the protobuf encoding; absent when the field cannot arrive as protobuf. */
  proto?: number;
  type: Scalar | MessageSpec;
  list?: boolean;
  /** map<string, type>. */
  map?: boolean;
  /** A Go pointer: a zero value sent over protobuf is kept rather than dropped. */
  pointer?: boolean;
  /** Strategic merge patch merges this list of objects by this key. */
  mergeKey?: string;
  /** Strategic merge patch merges this list of scalars as a set. */
  mergeScalars?: boolean;
  /** An embedded Go struct: its fields sit in the parent JSON object (protobuf keeps it as a message). */
  inline?: boolean;
}

export interface MessageSpec {
  /** The Go type name, as strict-decoding errors print it. */
  name: string;
  fields: Record<string, FieldSpec>;
}

type Options = Omit<FieldSpec, 'proto' | 'type'>;
const field = (type: Scalar | MessageSpec) => (proto?: number, options: Options = {}): FieldSpec => ({ proto, type, ...options });
const str = field('string');
const int32 = field('int32');
const int64 = field('int64');
const bool = field('bool');
const time = field('time');
const any = field('any');
const ptr: Options = { pointer: true };
const strList = (proto: number, options: Options = {}): FieldSpec => ({ proto, type: 'string', list: true, ...options });
const strMap = (proto?: number): FieldSpec => ({ proto, type: 'string', map: true });
const quantityMap = (proto: number): FieldSpec => ({ proto, type: 'quantity', map: true });
const message = (name: string, fields: Record<string, FieldSpec>): MessageSpec => ({ name, fields });
const of = (spec: MessageSpec, proto?: number, options: Options = {}): FieldSpec => ({ proto, type: spec, ...options });
const listOf = (spec: MessageSpec | 'any', proto?: number, options: Options = {}): FieldSpec => ({ proto, type: spec, list: true, ...options });

/** kind and apiVersion, present on every top-level object but not part of the protobuf message. */
const typeMeta = { kind: str(), apiVersion: str() };

export const OwnerReference = message('OwnerReference', {
  apiVersion: str(5),
  kind: str(1),
  name: str(3),
  uid: str(4),
  controller: bool(6, ptr),
  blockOwnerDeletion: bool(7, ptr),
});

export const ObjectMeta = message('ObjectMeta', {
  name: str(1),
  generateName: str(2),
  namespace: str(3),
  selfLink: str(4),
  uid: str(5),
  resourceVersion: str(6),
  generation: int64(7),
  creationTimestamp: time(8),
  deletionTimestamp: time(9),
  deletionGracePeriodSeconds: int64(10, ptr),
  labels: strMap(11),
  annotations: strMap(12),
  ownerReferences: listOf(OwnerReference, 13, { mergeKey: 'uid' }),
  finalizers: strList(14, { mergeScalars: true }),
  managedFields: listOf('any', 17),
});

const LabelSelectorRequirement = message('LabelSelectorRequirement', { key: str(1), operator: str(2), values: strList(3) });

export const LabelSelector = message('LabelSelector', {
  matchLabels: strMap(1),
  matchExpressions: listOf(LabelSelectorRequirement, 2),
});

const LocalObjectReference = message('LocalObjectReference', { name: str(1) });
const keySelector = (name: string) =>
  message(name, { localObjectReference: of(LocalObjectReference, 1, { inline: true }), key: str(2), optional: bool(3, ptr) });
const envSource = (name: string) =>
  message(name, { localObjectReference: of(LocalObjectReference, 1, { inline: true }), optional: bool(2, ptr) });

const EnvVarSource = message('EnvVarSource', {
  fieldRef: of(message('ObjectFieldSelector', { apiVersion: str(1), fieldPath: str(2) }), 1),
  resourceFieldRef: of(message('ResourceFieldSelector', { containerName: str(1), resource: str(2), divisor: field('quantity')(3) }), 2),
  configMapKeyRef: of(keySelector('ConfigMapKeySelector'), 3),
  secretKeyRef: of(keySelector('SecretKeySelector'), 4),
  fileKeyRef: any(5),
});

const EnvVar = message('EnvVar', { name: str(1), value: str(2), valueFrom: of(EnvVarSource, 3) });

const EnvFromSource = message('EnvFromSource', {
  prefix: str(1),
  configMapRef: of(envSource('ConfigMapEnvSource'), 2),
  secretRef: of(envSource('SecretEnvSource'), 3),
});

const ContainerPort = message('ContainerPort', {
  name: str(1),
  hostPort: int32(2),
  containerPort: int32(3),
  protocol: str(4),
  hostIP: str(5),
});

const VolumeMount = message('VolumeMount', {
  name: str(1),
  readOnly: bool(2),
  recursiveReadOnly: str(7, ptr),
  mountPath: str(3),
  subPath: str(4),
  mountPropagation: str(5, ptr),
  subPathExpr: str(6),
});

const ResourceRequirements = message('ResourceRequirements', {
  limits: quantityMap(1),
  requests: quantityMap(2),
  claims: listOf('any', 3),
});

const Container = message('Container', {
  name: str(1),
  image: str(2),
  command: strList(3),
  args: strList(4),
  workingDir: str(5),
  ports: listOf(ContainerPort, 6, { mergeKey: 'containerPort' }),
  envFrom: listOf(EnvFromSource, 19),
  env: listOf(EnvVar, 7, { mergeKey: 'name' }),
  resources: of(ResourceRequirements, 8),
  resizePolicy: listOf('any', 23),
  restartPolicy: str(24, ptr),
  restartPolicyRules: listOf('any', 25),
  volumeMounts: listOf(VolumeMount, 9, { mergeKey: 'mountPath' }),
  volumeDevices: listOf('any', 21, { mergeKey: 'devicePath' }),
  livenessProbe: any(10),
  readinessProbe: any(11),
  startupProbe: any(22),
  lifecycle: any(12),
  terminationMessagePath: str(13),
  terminationMessagePolicy: str(20),
  imagePullPolicy: str(14),
  securityContext: any(15),
  stdin: bool(16),
  stdinOnce: bool(17),
  tty: bool(18),
});

const Toleration = message('Toleration', {
  key: str(1),
  operator: str(2),
  value: str(3),
  effect: str(4),
  tolerationSeconds: int64(5, ptr),
});

export const PodSpec = message('PodSpec', {
  volumes: listOf('any', 1, { mergeKey: 'name' }),
  initContainers: listOf(Container, 20, { mergeKey: 'name' }),
  containers: listOf(Container, 2, { mergeKey: 'name' }),
  ephemeralContainers: listOf('any', 34, { mergeKey: 'name' }),
  restartPolicy: str(3),
  terminationGracePeriodSeconds: int64(4, ptr),
  activeDeadlineSeconds: int64(5, ptr),
  dnsPolicy: str(6),
  nodeSelector: strMap(7),
  serviceAccountName: str(8),
  serviceAccount: str(9),
  automountServiceAccountToken: bool(21, ptr),
  nodeName: str(10),
  hostNetwork: bool(11),
  hostPID: bool(12),
  hostIPC: bool(13),
  shareProcessNamespace: bool(27, ptr),
  securityContext: any(14),
  imagePullSecrets: listOf(LocalObjectReference, 15, { mergeKey: 'name' }),
  hostname: str(16),
  subdomain: str(17),
  affinity: any(18),
  schedulerName: str(19),
  tolerations: listOf(Toleration, 22),
  hostAliases: listOf('any', 23, { mergeKey: 'ip' }),
  priorityClassName: str(24),
  priority: int32(25, ptr),
  dnsConfig: any(26),
  readinessGates: listOf('any', 28),
  runtimeClassName: str(29, ptr),
  enableServiceLinks: bool(30, ptr),
  preemptionPolicy: str(31, ptr),
  overhead: quantityMap(32),
  topologySpreadConstraints: listOf('any', 33, { mergeKey: 'topologyKey' }),
  setHostnameAsFQDN: bool(35, ptr),
  os: any(36),
  hostUsers: bool(37, ptr),
  schedulingGates: listOf('any', 38, { mergeKey: 'name' }),
  resourceClaims: listOf('any', 39, { mergeKey: 'name' }),
  resources: of(ResourceRequirements, 40),
  hostnameOverride: str(41, ptr),
});

export const PodTemplateSpec = message('PodTemplateSpec', { metadata: of(ObjectMeta, 1), spec: of(PodSpec, 2) });

const JobSpec = message('JobSpec', {
  parallelism: int32(1, ptr),
  completions: int32(2, ptr),
  activeDeadlineSeconds: int64(3, ptr),
  podFailurePolicy: any(11),
  successPolicy: any(16),
  backoffLimit: int32(7, ptr),
  backoffLimitPerIndex: int32(12, ptr),
  maxFailedIndexes: int32(13, ptr),
  selector: of(LabelSelector, 4),
  manualSelector: bool(5, ptr),
  template: of(PodTemplateSpec, 6),
  ttlSecondsAfterFinished: int32(8, ptr),
  completionMode: str(9, ptr),
  suspend: bool(10, ptr),
  podReplacementPolicy: str(14, ptr),
  managedBy: str(15, ptr),
});

const JobCondition = message('JobCondition', {
  type: str(1),
  status: str(2),
  lastProbeTime: time(3),
  lastTransitionTime: time(4),
  reason: str(5),
  message: str(6),
});

const JobStatus = message('JobStatus', {
  conditions: listOf(JobCondition, 1, { mergeKey: 'type' }),
  startTime: time(2),
  completionTime: time(3),
  active: int32(4),
  succeeded: int32(5),
  failed: int32(6),
  terminating: int32(11, ptr),
  completedIndexes: str(7),
  failedIndexes: str(10, ptr),
  uncountedTerminatedPods: of(message('UncountedTerminatedPods', { succeeded: strList(1), failed: strList(2) }), 8),
  ready: int32(9, ptr),
});

export const Job = message('Job', { ...typeMeta, metadata: of(ObjectMeta, 1), spec: of(JobSpec, 2), status: of(JobStatus, 3) });

export const Pod = message('Pod', { ...typeMeta, metadata: of(ObjectMeta, 1), spec: of(PodSpec, 2), status: any(3) });

export const Secret = message('Secret', {
  ...typeMeta,
  metadata: of(ObjectMeta, 1),
  immutable: bool(5, ptr),
  data: { proto: 2, type: 'bytes', map: true },
  stringData: strMap(4),
  type: str(3),
});

export const Namespace = message('Namespace', {
  ...typeMeta,
  metadata: of(ObjectMeta, 1),
  spec: of(message('NamespaceSpec', { finalizers: strList(1) }), 2),
  status: of(message('NamespaceStatus', { phase: str(1), conditions: listOf('any', 2) }), 3),
});

export const Event = message('Event', {
  ...typeMeta,
  metadata: of(ObjectMeta),
  involvedObject: any(),
  reason: str(),
  message: str(),
  source: any(),
  firstTimestamp: time(),
  lastTimestamp: time(),
  count: int32(),
  type: str(),
  eventTime: any(),
  series: any(),
  action: str(),
  related: any(),
  reportingComponent: str(),
  reportingInstance: str(),
});

/** The sub-schema of a field, or undefined when the field is a scalar or unknown. */
export function messageOf(spec: FieldSpec | undefined): MessageSpec | undefined {
  return spec && typeof spec.type === 'object' ? spec.type : undefined;
}

const flattened = new WeakMap<MessageSpec, Record<string, FieldSpec>>();

/** A message's fields with inline members flattened, as they appear in JSON. */
export function jsonFields(spec: MessageSpec): Record<string, FieldSpec> {
  let fields = flattened.get(spec);
  if (fields) return fields;
  fields = {};
  for (const [name, f] of Object.entries(spec.fields)) {
    const inner = messageOf(f);
    if (f.inline && inner) Object.assign(fields, jsonFields(inner));
    else fields[name] = f;
  }
  flattened.set(spec, fields);
  return fields;
}
