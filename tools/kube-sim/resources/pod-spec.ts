/** Defaults and validation of a PodSpec, shared by Pods and Job templates. Pure. */
import { FieldError } from '../errors.js';
import { defaultPullPolicy } from '../images.js';
import { nonNegative, validateEnvVarName, validateName } from '../validation.js';

export function defaultPodSpec(spec: Record<string, any>): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.imagePullPolicy ??= defaultPullPolicy(container.image);
    container.resources ??= {};
  }
}

function validateContainers(containers: any[], path: string, names: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  containers.forEach((container, index) => {
    const at = `${path}[${index}]`;
    if (!container.name) errors.push(FieldError.required(`${at}.name`));
    else {
      errors.push(...validateName(container.name, 'label', `${at}.name`));
      if (names.has(container.name)) errors.push(FieldError.duplicate(`${at}.name`, container.name));
      names.add(container.name);
    }
    if (!container.image) errors.push(FieldError.required(`${at}.image`));
    else if (container.image !== container.image.trim()) {
      errors.push(FieldError.invalid(`${at}.image`, container.image, 'must not have leading or trailing whitespace'));
    }
    (container.env ?? []).forEach((env: any, envIndex: number) => {
      if (!env.name) errors.push(FieldError.required(`${at}.env[${envIndex}].name`));
      else errors.push(...validateEnvVarName(env.name, `${at}.env[${envIndex}].name`));
      const sources = Object.keys(env.valueFrom ?? {}).length;
      if (env.valueFrom && sources !== 1) {
        errors.push(FieldError.invalid(`${at}.env[${envIndex}].valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      }
      if (env.valueFrom && env.value) {
        errors.push(FieldError.invalid(`${at}.env[${envIndex}].valueFrom`, '', 'may not be specified when `value` is not empty'));
      }
    });
  });
  return errors;
}

export function validatePodSpec(spec: Record<string, any> | undefined, path: string, restartPolicies: string[]): FieldError[] {
  if (!spec) return [FieldError.required(path)];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  if (!spec.containers?.length) errors.push(FieldError.required(`${path}.containers`));
  errors.push(...validateContainers(spec.initContainers ?? [], `${path}.initContainers`, names));
  errors.push(...validateContainers(spec.containers ?? [], `${path}.containers`, names));
  if (!restartPolicies.includes(spec.restartPolicy)) errors.push(FieldError.notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  errors.push(...nonNegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  return errors;
}
