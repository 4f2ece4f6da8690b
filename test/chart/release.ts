// A rendered release, read the way Kubernetes would read it: which pods the workloads make, what environment
// their containers get (ConfigMaps, Secrets, $(VAR) references), and which Services route to them.
import type { KubeObject } from './kubernetes-schemas.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: SecretKeyRef;
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: Record<string, unknown>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name: string }>;
  securityContext?: Record<string, unknown>;
}

/** Something that runs pods: a Deployment's or StatefulSet's template, or a (test hook) Pod. */
export interface Workload {
  object: KubeObject;
  labels: Record<string, string>;
  pod: PodSpec;
}

export interface ResolvedEnvVar {
  name: string;
  value: string;
  secret?: SecretKeyRef;
}

export interface ServiceSpec {
  type?: string;
  selector: Record<string, string>;
  ports: Array<{ name: string; port: number; targetPort: string | number; nodePort?: number }>;
}

export class Release {
  constructor(
    readonly objects: KubeObject[],
    readonly namespace: string,
  ) {}

  all(kind: string): KubeObject[] {
    return this.objects.filter((object) => object.kind === kind);
  }

  find(kind: string, name: string): KubeObject | undefined {
    return this.objects.find((object) => object.kind === kind && object.metadata.name === name);
  }

  get(kind: string, name: string): KubeObject {
    const found = this.find(kind, name);
    if (!found) throw new Error(`the render has no ${kind} ${name}`);
    return found;
  }

  workloads(): Workload[] {
    return this.objects.flatMap((object): Workload[] => {
      if (object.kind === 'Pod') return [{ object, labels: object.metadata.labels ?? {}, pod: object.spec as PodSpec }];
      const template = (object.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } } | undefined)?.template;
      return template ? [{ object, labels: template.metadata?.labels ?? {}, pod: template.spec }] : [];
    });
  }

  /** The one workload whose container runs the image with this argument (the apps: `api`, `cloud-worker`). */
  app(argument: string): { workload: Workload; container: Container } {
    const matches = this.workloads().flatMap((workload) => workload.pod.containers.filter((container) => container.args?.[0] === argument).map((container) => ({ workload, container })));
    if (matches.length !== 1) throw new Error(`expected one container running "${argument}", found ${matches.length}`);
    return matches[0];
  }

  /** A Secret's values, decoded; undefined when the render does not create it. */
  secretData(name: string): Record<string, string> | undefined {
    const secret = this.find('Secret', name);
    if (!secret) return undefined;
    const encoded = Object.entries((secret.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]);
    return { ...Object.fromEntries(encoded), ...((secret.stringData ?? {}) as Record<string, string>) };
  }

  /**
   * The container's environment as the kubelet builds it: envFrom first, then env in order, each `$(NAME)`
   * expanded from the variables before it. `secretValue` answers for Secrets the render does not create.
   */
  environment(workload: Workload, container: Container, secretValue: (ref: SecretKeyRef) => string): ResolvedEnvVar[] {
    const resolved: ResolvedEnvVar[] = [];
    const known = new Map<string, string>();
    const add = (variable: ResolvedEnvVar) => {
      resolved.push(variable);
      known.set(variable.name, variable.value);
    };
    for (const source of container.envFrom ?? []) {
      if (!source.configMapRef) throw new Error(`${container.name}: envFrom other than a ConfigMap is not expected`);
      const data = (this.get('ConfigMap', source.configMapRef.name).data ?? {}) as Record<string, string>;
      for (const [name, value] of Object.entries(data)) add({ name, value });
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      if (variable.value !== undefined) {
        add({ name: variable.name, value: expand(variable.value, known, `${container.name} ${variable.name}`) });
      } else if (from?.secretKeyRef) {
        const secret = this.secretData(from.secretKeyRef.name);
        const value = secret ? secret[from.secretKeyRef.key] : secretValue(from.secretKeyRef);
        if (value === undefined) throw new Error(`${container.name} ${variable.name}: Secret ${from.secretKeyRef.name} has no key ${from.secretKeyRef.key}`);
        add({ name: variable.name, value, secret: from.secretKeyRef });
      } else if (from?.configMapKeyRef) {
        const data = (this.get('ConfigMap', from.configMapKeyRef.name).data ?? {}) as Record<string, string>;
        add({ name: variable.name, value: data[from.configMapKeyRef.key] });
      } else if (from?.fieldRef?.fieldPath === 'metadata.name') {
        add({ name: variable.name, value: `${workload.object.metadata.name}-7c9d8-x2x4q` });
      } else {
        throw new Error(`${container.name} ${variable.name}: unexpected source ${JSON.stringify(variable)}`);
      }
    }
    return resolved;
  }

  /** The Service of this name and the workload whose pods it selects. */
  serviceRoute(name: string): { service: ServiceSpec; workload: Workload } {
    const service = this.get('Service', name).spec as ServiceSpec;
    const selected = this.workloads().filter((workload) => workload.object.kind !== 'Pod' && Object.entries(service.selector).every(([key, value]) => workload.labels[key] === value));
    if (selected.length !== 1) throw new Error(`Service ${name} selects ${selected.length} workloads`);
    return { service, workload: selected[0] };
  }
}

/** Kubernetes' dependent environment variables; a reference to nothing defined before is a chart error. */
function expand(value: string, known: Map<string, string>, where: string): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    const replacement = known.get(name);
    if (replacement === undefined) throw new Error(`${where}: $(${name}) refers to no variable defined before it`);
    return replacement;
  });
}

/** Variables that other variables of the same container refer to as $(NAME). */
export function referencedNames(container: Container): Set<string> {
  const names = new Set<string>();
  for (const variable of container.env ?? []) for (const [, name] of (variable.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(name);
  return names;
}
