/** A container's environment as the kubelet builds it: envFrom, env (literal, secretKeyRef, fieldRef), `$(VAR)` expansion. Pure. */
import type { KubeObject } from './meta.js';

export type SecretLookup = (namespace: string, name: string) => KubeObject | undefined;

/** Why a container cannot be created (its waiting reason becomes CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/** Expands `$(NAME)` from the variables defined so far; `$$(NAME)` escapes it, unknown names stay as they are. */
export function expandVariables(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name] : match;
  });
}

const LABEL_OR_ANNOTATION = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** `fieldRef` values, for the paths Kubernetes supports in env. */
export function fieldRefValue(pod: KubeObject, fieldPath: string): string {
  const map = LABEL_OR_ANNOTATION.exec(fieldPath);
  if (map) return pod.metadata[map[1] as 'labels' | 'annotations']?.[map[2]] ?? '';
  const values: Record<string, () => string | undefined> = {
    'metadata.name': () => pod.metadata.name,
    'metadata.namespace': () => pod.metadata.namespace,
    'metadata.uid': () => pod.metadata.uid,
    'spec.nodeName': () => pod.spec?.nodeName,
    'spec.serviceAccountName': () => pod.spec?.serviceAccountName ?? 'default',
    'status.hostIP': () => pod.status?.hostIP,
    'status.hostIPs': () => (pod.status?.hostIPs ?? []).map((ip: { ip: string }) => ip.ip).join(','),
    'status.podIP': () => pod.status?.podIP,
    'status.podIPs': () => (pod.status?.podIPs ?? []).map((ip: { ip: string }) => ip.ip).join(','),
  };
  const value = values[fieldPath];
  if (!value) throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  return value() ?? '';
}

/** The secret a reference names, or undefined when it is missing and optional. */
function referencedSecret(namespace: string, ref: { name?: string; optional?: boolean }, lookup: SecretLookup): KubeObject | undefined {
  const secret = lookup(namespace, ref.name ?? '');
  if (!secret && !ref.optional) throw new ContainerConfigError(`secret "${ref.name}" not found`);
  return secret;
}

function secretValue(pod: KubeObject, ref: { name?: string; key: string; optional?: boolean }, lookup: SecretLookup): string | undefined {
  const namespace = pod.metadata.namespace!;
  const secret = referencedSecret(namespace, ref, lookup);
  if (!secret) return undefined;
  const encoded = secret.data?.[ref.key];
  if (encoded === undefined) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}`);
  }
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The variables a container's spec defines; throws ContainerConfigError as the kubelet would fail. */
export function containerEnv(pod: KubeObject, container: any, lookup: SecretLookup): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      if (!source.configMapRef.optional) throw new ContainerConfigError(`configmap "${source.configMapRef.name}" not found`);
      continue;
    }
    const secret = referencedSecret(pod.metadata.namespace!, source.secretRef ?? {}, lookup);
    if (!secret) continue;
    for (const [key, value] of Object.entries<string>(secret.data ?? {})) env[`${source.prefix ?? ''}${key}`] = Buffer.from(value, 'base64').toString('utf8');
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (!from) value = expandVariables(variable.value ?? '', env);
    else if (from.secretKeyRef) value = secretValue(pod, from.secretKeyRef, lookup);
    else if (from.fieldRef) value = fieldRefValue(pod, from.fieldRef.fieldPath);
    else if (from.configMapKeyRef) {
      if (!from.configMapKeyRef.optional) throw new ContainerConfigError(`configmap "${from.configMapKeyRef.name}" not found`);
    } else if (from.resourceFieldRef) value = '0';
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}
