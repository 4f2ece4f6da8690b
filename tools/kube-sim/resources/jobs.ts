/** batch/v1 Jobs: defaulting (selector, labels, backoffLimit …), validation and immutable fields as the API server has them. */
import { FieldError } from '../errors.js';
import { jsonEqual, type KubeObject } from '../meta.js';
import { Job } from '../schema.js';
import { fromLabelSelectorObject, matchesLabels } from '../selectors.js';
import { nonNegative, validateLabels } from '../validation.js';
import { defaultPodSpec, validatePodSpec } from './pod-spec.js';
import type { ResourceType } from './types.js';

export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LEGACY_LABEL_CONTROLLER_UID = 'controller-uid';
export const LEGACY_LABEL_JOB_NAME = 'job-name';

function defaultJobSpec(job: KubeObject): void {
  const spec = (job.spec ??= {});
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex == null ? 6 : 2147483647;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  const template = (spec.template ??= {});
  template.metadata ??= {};
  defaultPodSpec((template.spec ??= {}));
}

/** Without manualSelector the server picks the selector and labels the template to match. */
function generateSelector(job: KubeObject): void {
  const spec = job.spec;
  if (spec.manualSelector) return;
  const { uid, name } = job.metadata;
  const labels = (spec.template.metadata.labels ??= {});
  Object.assign(labels, {
    [LABEL_CONTROLLER_UID]: uid,
    [LABEL_JOB_NAME]: name,
    [LEGACY_LABEL_CONTROLLER_UID]: uid,
    [LEGACY_LABEL_JOB_NAME]: name,
  });
  spec.selector = { matchLabels: { [LABEL_CONTROLLER_UID]: uid } };
}

function validateJob(job: KubeObject): FieldError[] {
  const spec = job.spec ?? {};
  const errors: FieldError[] = [];
  for (const field of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) {
    errors.push(...nonNegative(spec[field], `spec.${field}`));
  }
  if (!['NonIndexed', 'Indexed'].includes(spec.completionMode)) {
    errors.push(FieldError.notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (!['TerminatingOrFailed', 'Failed'].includes(spec.podReplacementPolicy)) {
    errors.push(FieldError.notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  const templateLabels = spec.template?.metadata?.labels;
  errors.push(...validateLabels(templateLabels, 'spec.template.metadata.labels'));
  if (!spec.selector) errors.push(FieldError.required('spec.selector'));
  else if (!matchesLabels(fromLabelSelectorObject(spec.selector), templateLabels)) {
    errors.push(FieldError.invalid('spec.template.metadata.labels', templateLabels ?? {}, '`selector` does not match template `labels`'));
  }
  errors.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec', ['OnFailure', 'Never']));
  return errors;
}

const IMMUTABLE_SPEC_FIELDS = ['selector', 'template', 'completions', 'completionMode', 'podFailurePolicy', 'backoffLimitPerIndex'];

function validateJobUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  return IMMUTABLE_SPEC_FIELDS.filter((field) => !jsonEqual(job.spec?.[field], old.spec?.[field])).map((field) =>
    FieldError.invalid(`spec.${field}`, job.spec?.[field] ?? null, 'field is immutable'),
  );
}

export const jobs: ResourceType = {
  resource: 'jobs',
  singular: 'job',
  kind: 'Job',
  listKind: 'JobList',
  group: 'batch',
  version: 'v1',
  apiVersion: 'batch/v1',
  namespaced: true,
  shortNames: [],
  categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: { kind: 'Job', verbs: ['get', 'patch', 'update'] } },
  schema: Job,
  nameRule: 'subdomain',
  hasStatusSubresource: true,
  tracksGeneration: true,
  // batch/v1 keeps the orphaning default of its first version: pods outlive a Job deleted without a policy.
  defaultPropagation: 'Orphan',
  returnsDeletedObject: false,
  defaultDeletionWarning:
    'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning',
  fieldSelectors: { 'status.successful': (job) => String(job.status?.succeeded ?? 0) },
  normalize: defaultJobSpec,
  prepareForCreate(job) {
    generateSelector(job);
    // The API server's defaulting shares the template's label map with a Job that has none.
    const templateLabels = job.spec.template.metadata.labels;
    if (!Object.keys(job.metadata.labels ?? {}).length && templateLabels) job.metadata.labels = { ...templateLabels };
    job.status = {};
  },
  validate: validateJob,
  validateUpdate: validateJobUpdate,
};
