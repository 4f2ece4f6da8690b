import { ApiConfig, CommonConfig, loadConfig, WorkerConfig } from '@app/config';
import { API_KUBE_PERMISSIONS, API_STS_KUBE_PERMISSIONS, KUBE_PERMISSIONS, MANAGED_BY, STS_KUBE_PERMISSIONS, MANAGED_BY_LABEL, S3_SECRET_ACCESS_KEY, S3_SECRET_SECRET_KEY } from '@app/kube';
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CHART, helm, mergedValues, NAMESPACE, readYaml, RELEASE, render, ROOT, templateArgs } from './helm.js';
import { kubernetesProblems } from './kubernetes-schemas.js';
import { referencedNames, Release, type Container, type ResolvedEnvVar, type SecretKeyRef, type Workload } from './release.js';
import { DOCUMENTED_CHARTS, readmeWithTables, undocumentedKeys, unknownParams } from './values-table.js';
import { allows, brokerDefinitions, DEFINITIONS_CONTAINER, permissionsOf } from './broker-definitions.js';
import { containerNamed, runContainerLocally, type LocalRun } from './run-container.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CHART_YAML = readYaml('Chart.yaml') as { version: string; appVersion: string; dependencies: Array<{ name: string; version: string; repository: string; condition: string }> };

/** The renders every check runs on: the defaults, both environments, and each ci/*-values.yaml variant. */
const CASES = [
  { name: 'the default values', valuesFiles: [] as string[] },
  { name: 'values-test.yaml', valuesFiles: ['values-test.yaml'] },
  { name: 'values-prod.yaml', valuesFiles: ['values-prod.yaml'] },
  ...readdirSync(join(CHART, 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .map((file) => ({ name: `ci/${file}`, valuesFiles: [`ci/${file}`] })),
];

/** Each app, the argument that starts it in the image, and the configuration class it reads its environment into. */
const APPS: Array<{ argument: string; config: new () => CommonConfig }> = [
  { argument: 'api', config: ApiConfig },
  { argument: 'cloud-worker', config: WorkerConfig },
];

const S3_KEYS = [S3_SECRET_ACCESS_KEY, S3_SECRET_SECRET_KEY];
const RABBITMQ_KEYS = ['username', 'password'];
/** The key of the API tokens Secret, and of the helm test pod's token Secret. */
const TOKENS_FILE_KEY = 'tokens.json';
const TEST_TOKEN_KEY = 'token';

/** Settings whose defaults only work on one machine (localhost, MinIO's well-known keys): a cluster must set them. */
const LOCAL_DEFAULTS = Object.entries(new CommonConfig())
  .filter(([, value]) => typeof value === 'string' && /localhost|minioadmin/.test(value))
  .map(([name]) => name);
/** Settings the worker needs in a cluster although the code gives them a default or none. */
const WORKER_CLUSTER_SETTINGS = ['JOB_NAMESPACE', 'JOB_S3_SECRET_NAME', 'WORKER_ID'];

/** URL schemes' ports, which URLs leave out. */
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'amqp:': 5672, 'amqps:': 5671 };

/** The parts of the chart's values that the checks compare the render with. */
interface ChartValues {
  image: { registry: string; repository: string; tag: string };
  config: { recordsBucket: string; allowedImages: string[] };
  minio: { enabled: boolean; auth?: { existingSecret?: string } };
  'work-queue': { enabled: boolean; auth?: { existingSecret?: string; client?: { existingSecret?: string } } };
  externalS3: { endpoint: string; existingSecret: string };
  externalRabbitmq: { host: string; port: number; vhost: string; tls: boolean; existingSecret: string };
  jobs: {
    ttlSecondsAfterFinished: number;
    imagePullSecrets: Array<{ name: string }>;
    serviceAccount: { create: boolean; name: string };
    podSecurity: { runAsNonRoot: boolean };
    s3: { credentials: string; existingSecret: string; provisioner: { policyName: string; image: { tag: string; digest: string } } };
    limitRange: { enabled: boolean; default: object; defaultRequest: object; max: object };
    resourceQuota: { enabled: boolean; hard: Record<string, string> };
  };
  api: PodPlacement & { sseKeepaliveSeconds: number; auth: { existingSecret: string; tokens: Array<{ name: string; roles: string[]; sha256: string }> } };
  worker: PodPlacement;
  networkPolicy: { enabled: boolean; kubernetesApi: { cidr: string; ports: number[] }; apiFrom: object[]; metricsFrom: object[]; amqpClientsFrom: object[] };
  tests: { jobImage: string };
}

interface PodPlacement {
  nodeSelector?: Record<string, string>;
  affinity?: object;
  tolerations?: object[];
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}

interface RenderedCase {
  release: Release;
  values: ChartValues;
  /** Secrets the values say exist outside the chart, with the keys the chart reads from them. */
  existingSecrets: Map<string, string[]>;
}

function renderCase(valuesFiles: string[]): RenderedCase {
  const values = mergedValues(valuesFiles) as unknown as ChartValues;
  const existingSecrets = new Map<string, string[]>();
  const s3Secret = values.minio.enabled ? values.minio.auth?.existingSecret : values.externalS3.existingSecret;
  const rabbitmqSecret = values['work-queue'].enabled ? values['work-queue'].auth?.existingSecret : values.externalRabbitmq.existingSecret;
  if (s3Secret) existingSecrets.set(s3Secret, S3_KEYS);
  if (rabbitmqSecret) existingSecrets.set(rabbitmqSecret, RABBITMQ_KEYS);
  if (values['work-queue'].auth?.client?.existingSecret) existingSecrets.set(values['work-queue'].auth.client.existingSecret, RABBITMQ_KEYS);
  if (values.jobs.s3.existingSecret) existingSecrets.set(values.jobs.s3.existingSecret, S3_KEYS);
  if (values.api.auth.existingSecret) existingSecrets.set(values.api.auth.existingSecret, [TOKENS_FILE_KEY]);
  return { release: new Release(render({ valuesFiles }), NAMESPACE), values, existingSecrets };
}

/** The value a Secret outside the render holds; only keys the chart documents for it may be read. */
function existingSecretValue(rendered: RenderedCase): (ref: SecretKeyRef) => string {
  return (ref) => {
    const keys = rendered.existingSecrets.get(ref.name);
    if (!keys) throw new Error(`Secret ${ref.name} is neither rendered nor declared as existing by the values`);
    if (!keys.includes(ref.key)) throw new Error(`Secret ${ref.name} is read at key ${ref.key}, not one of its documented keys ${keys.join(', ')}`);
    return `existing-${ref.name}-${ref.key}`;
  };
}

function appEnvironment(rendered: RenderedCase, argument: string): { workload: Workload; container: Container; env: ResolvedEnvVar[]; values: Record<string, string> } {
  const { workload, container } = rendered.release.app(argument);
  const env = rendered.release.environment(workload, container, existingSecretValue(rendered));
  return { workload, container, env, values: Object.fromEntries(env.map((variable) => [variable.name, variable.value])) };
}

/** The image behind a URL of the release: a Service of the render, on one of its ports, routed to a container port. */
function imageBehind(release: Release, url: string): string {
  const { hostname, port, protocol } = new URL(url);
  const { service, workload } = release.serviceRoute(hostname);
  const servicePort = service.ports.find((candidate) => candidate.port === Number(port || DEFAULT_PORTS[protocol]));
  if (!servicePort) throw new Error(`Service ${hostname} has no port ${port || DEFAULT_PORTS[protocol]}`);
  const container = workload.pod.containers.find((candidate) => candidate.ports?.some((containerPort) => containerPort.name === servicePort.targetPort || containerPort.containerPort === servicePort.targetPort));
  if (!container) throw new Error(`no container of ${workload.object.metadata.name} listens on ${servicePort.targetPort}`);
  return container.image;
}

function secretRefOf(env: ResolvedEnvVar[], name: string): SecretKeyRef | undefined {
  return env.find((variable) => variable.name === name)?.secret;
}

function containerEnvRef(container: Container, name: string): SecretKeyRef | undefined {
  return container.env?.find((variable) => variable.name === name)?.valueFrom?.secretKeyRef;
}

type FakeAttach = 'attaches' | 'already attached' | 'fails';

/**
 * Runs the hook's script with a stand-in for `mc` that records its arguments, and attaches the policy, finds it
 * attached already, or fails as told.
 */
function provisionWithFakeMc(current: RenderedCase, workload: Workload, container: Container, attach: FakeAttach): { run: LocalRun; calls: string[]; policy: S3Policy } {
  const bin = mkdtempSync(join(tmpdir(), 'fake-mc-'));
  try {
    writeFileSync(
      join(bin, 'mc'),
      [
        '#!/bin/sh',
        'echo "$*" >> "$MC_CALLS"',
        'if [ "$1 $2 $3" = "admin policy attach" ]; then',
        '  case "$FAKE_ATTACH" in',
        '    "already attached") echo "mc: <ERROR> Unable to attach policy: The specified policy change is already in effect." >&2; exit 1 ;;',
        '    fails) echo "mc: <ERROR> Unable to attach policy: connection refused" >&2; exit 1 ;;',
        '  esac',
        'fi',
      ].join('\n'),
    );
    chmodSync(join(bin, 'mc'), 0o755);
    const calls = join(bin, 'calls');
    writeFileSync(calls, '');
    const run = runContainerLocally(current.release, workload, container, {
      secretValue: existingSecretValue(current),
      overrides: { PATH: `${bin}:${process.env.PATH}`, MC_CALLS: calls, FAKE_ATTACH: attach },
    });
    try {
      return { run, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean), policy: JSON.parse(run.readFile(container.env!.find((variable) => variable.name === 'POLICY_FILE')!.value!)) as S3Policy };
    } finally {
      run.cleanup();
    }
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

interface S3Policy {
  Statement: Array<{ Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string[] }>;
}

/** IAM's evaluation, as far as the Jobs' policy needs it: allowed when a statement allows and none denies. */
function policyAllows(policy: S3Policy, action: string, resource: string): boolean {
  const matches = (pattern: string, value: string) => globPattern(pattern).test(value);
  const applying = policy.Statement.filter((statement) => statement.Action.some((pattern) => matches(pattern, action)) && statement.Resource.some((pattern) => matches(pattern, resource)));
  return applying.some((statement) => statement.Effect === 'Allow') && !applying.some((statement) => statement.Effect === 'Deny');
}

/** A glob as a regular expression, `*` matching anything: IAM's patterns, and (roughly) ALLOWED_IMAGES'. */
function globPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function permissionSet(rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>): string[] {
  return rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))).sort();
}

/** What a ServiceAccount may do in the release namespace, through its one RoleBinding, as `permissionSet` lists it. */
function grantedTo(release: Release, serviceAccountName: string | undefined): string[] {
  const bindings = release.all('RoleBinding').filter((binding) => (binding.subjects as Array<{ kind: string; name: string; namespace: string }>).some((subject) => subject.kind === 'ServiceAccount' && subject.name === serviceAccountName && subject.namespace === NAMESPACE));
  expect(bindings).toHaveLength(1);
  const role = release.get('Role', (bindings[0].roleRef as { name: string }).name);
  return permissionSet(role.rules as Parameters<typeof permissionSet>[0]);
}

/** Permissions as libs/kube/src/permissions.ts lists them, as `permissionSet` lists them. */
function kubePermissionSet(permissions: ReadonlyArray<{ apiGroup: string; resource: string; verbs: readonly string[] }>): string[] {
  return permissionSet(permissions.map((permission) => ({ apiGroups: [permission.apiGroup], resources: [permission.resource], verbs: [...permission.verbs] })));
}

describe('the cloud-worker chart', () => {
  it('carries the package version as its version and appVersion, and as the prod image tag', () => {
    expect(CHART_YAML.version).toBe(PACKAGE_VERSION);
    expect(CHART_YAML.appVersion).toBe(PACKAGE_VERSION);
    expect(readYaml('values-prod.yaml').image).toMatchObject({ tag: PACKAGE_VERSION });
  });

  it('depends on its minio and work-queue subcharts through file:// with conditions, as helm dependency list shows', () => {
    expect(CHART_YAML.dependencies).toEqual([
      { name: 'minio', version: '0.1.0', repository: 'file://charts/minio', condition: 'minio.enabled' },
      { name: 'work-queue', version: '0.1.0', repository: 'file://charts/work-queue', condition: 'work-queue.enabled' },
    ]);
    const listed = helm(['dependency', 'list', CHART]);
    expect(listed.status).toBe(0);
    // `unpacked` as checked in; `ok` once `helm dependency build` has written the archives.
    const rows = listed.stdout.split('\n').slice(1).filter(Boolean).map((line) => line.trim().split(/\s+/));
    expect(rows).toEqual([
      ['minio', '0.1.0', 'file://charts/minio', expect.stringMatching(/^(unpacked|ok)$/)],
      ['work-queue', '0.1.0', 'file://charts/work-queue', expect.stringMatching(/^(unpacked|ok)$/)],
    ]);
  });

  it('renders each subchart once after helm dependency build has put archives beside the unpacked subcharts', () => {
    const copy = mkdtempSync(join(tmpdir(), 'cloud-worker-chart-'));
    try {
      cpSync(CHART, copy, { recursive: true, filter: (source) => !/\.tgz$|Chart\.lock$/.test(source) });
      expect(helm(['dependency', 'build', copy]).status).toBe(0);
      expect(helm(['dependency', 'list', copy]).stdout).toMatch(/minio\s+0\.1\.0\s+file:\/\/charts\/minio\s+ok[\s\S]*work-queue\s+0\.1\.0\s+file:\/\/charts\/work-queue\s+ok/);
      const names = (objects: ReturnType<typeof render>) => objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
      expect(names(render({}, copy))).toEqual(names(render()));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it.each(CASES)('passes helm lint --strict with $name', ({ valuesFiles }) => {
    const linted = helm(['lint', CHART, '--strict', ...valuesFiles.flatMap((file) => ['-f', join(CHART, file)])]);
    expect({ status: linted.status, output: linted.stdout + linted.stderr }).toMatchObject({ status: 0 });
  });

  it.each([
    { what: 'a wrong type', set: ['api.replicaCount=two'], error: /api\/replicaCount/ },
    { what: 'an unknown top-level key', set: ['replicaCount=2'], error: /additional properties 'replicaCount' not allowed/ },
    { what: 'an unknown key in a section', set: ['worker.replicas=3'], error: /additional properties 'replicas' not allowed/ },
    { what: 'a Service type Kubernetes lacks', set: ['api.service.type=Ingress'], error: /api\/service\/type/ },
    { what: 'an unknown key of a subchart', set: ['minio.replicas=2'], error: /minio:[\s\S]*additional properties 'replicas' not allowed/ },
    { what: 'a RabbitMQ password that cannot go into a URL', set: ['work-queue.auth.password=p@ss:word'], error: /auth\/password/ },
    { what: "a client password that cannot go into a URL", set: ['work-queue.auth.client.password=p@ss:word'], error: /auth\/client\/password/ },
    { what: 'a way of giving Jobs S3 credentials the worker lacks', set: ['jobs.s3.credentials=vault'], error: /jobs\/s3\/credentials/ },
    { what: 'an API token in plain text', set: ['api.auth.tokens[0].name=alice', 'api.auth.tokens[0].roles={submit}', 'api.auth.tokens[0].sha256=my-token'], error: /api\/auth\/tokens\/0\/sha256/ },
    { what: 'KEDA and a HorizontalPodAutoscaler both scaling the workers', set: ['worker.autoscaling.keda.enabled=true', 'worker.autoscaling.hpa.enabled=true'], error: /worker\/autoscaling\/hpa\/enabled/ },
    { what: 'a role the api does not know', set: ['api.auth.tokens[0].name=alice', 'api.auth.tokens[0].roles={root}', `api.auth.tokens[0].sha256=${'0'.repeat(64)}`], error: /api\/auth\/tokens\/0\/roles\/0/ },
  ])("refuses $what through values.schema.json", ({ set, error }) => {
    const rendered = helm(templateArgs({ set }));
    expect(rendered.status).not.toBe(0);
    expect(rendered.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(rendered.stderr).toMatch(error);
  });

  it.each([
    { what: "a RabbitMQ consumer_timeout that a Job could outlast", set: ['work-queue.consumerTimeoutMinutes=60'], error: /consumerTimeoutMinutes \(60\) must exceed global.maxTimeoutMinutes \(1440\)/ },
    { what: 'an external S3 store without an endpoint', set: ['minio.enabled=false'], error: /externalS3.endpoint is required/ },
    { what: 'an external broker without a host', set: ['work-queue.enabled=false'], error: /externalRabbitmq.host is required/ },
    { what: "an external S3 store without the Jobs' own credentials", set: ['minio.enabled=false', 'externalS3.endpoint=https://s3.example.org', 'externalS3.existingSecret=s3'], error: /jobs.s3.existingSecret \(or jobs.s3.accessKey and jobs.s3.secretKey\) is required when minio.enabled is false/ },
    { what: "the Jobs' S3 user as MinIO's root user", set: ['jobs.s3.accessKey=minioadmin'], error: /jobs.s3.accessKey must differ from minio.auth.rootUser/ },
    { what: 'apps whose names the broker users are not granted', set: ['config.workQueue=jobs.work'], error: /work-queue.names.workQueue \(mstc.queue.work\) must equal config.workQueue \(jobs.work\)/ },
    { what: 'an OIDC issuer without an audience', set: ['api.auth.oidc.issuer=https://login.example.org'], error: /api.auth.oidc.audience is required/ },
    { what: "NetworkPolicies without the API server's address", set: ['networkPolicy.enabled=true'], error: /networkPolicy.kubernetesApi.cidr is required/ },
    { what: 'NetworkPolicies without the address of an external S3 store', set: ['networkPolicy.enabled=true', 'networkPolicy.kubernetesApi.cidr=10.0.0.1/32', 'minio.enabled=false', 'externalS3.endpoint=https://s3.example.org', 'externalS3.existingSecret=s3', 'jobs.s3.existingSecret=jobs-s3'], error: /networkPolicy.externalS3Cidrs is required/ },
  ])('refuses to render $what', ({ set, error }) => {
    const rendered = helm(templateArgs({ set }));
    expect(rendered.status).not.toBe(0);
    expect(rendered.stderr).toMatch(error);
  });

  it('refuses to render both autoscalers even where the schema is not checked, naming the two values', () => {
    const copy = mkdtempSync(join(tmpdir(), 'cloud-worker-chart-'));
    try {
      cpSync(CHART, copy, { recursive: true, filter: (source) => basename(source) !== 'values.schema.json' });
      const rendered = helm(templateArgs({ set: ['worker.autoscaling.keda.enabled=true', 'worker.autoscaling.hpa.enabled=true'] }, copy));
      expect(rendered.status).not.toBe(0);
      expect(rendered.stderr).toMatch(/worker.autoscaling.keda.enabled and worker.autoscaling.hpa.enabled are exclusive/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("has the broker's init container refuse a password that would not stay literal, and one user for both roles", () => {
    const release = new Release(render(), NAMESPACE);
    const unexpected = (ref: SecretKeyRef) => {
      throw new Error(`unexpected Secret ${ref.name}`);
    };
    const badPassword = brokerDefinitions(release, { secretValue: unexpected, overrides: { CLIENT_PASSWORD: 'p@ss/word' } });
    expect(badPassword).toMatchObject({ run: { status: 1, stderr: expect.stringContaining('CLIENT_PASSWORD (from its Secret) must be letters, digits and -._~ only') }, definitions: undefined });
    const sameUser = brokerDefinitions(release, { secretValue: unexpected, overrides: { CLIENT_USERNAME: 'cloud-worker' } });
    expect(sameUser).toMatchObject({ run: { status: 1, stderr: expect.stringContaining("the apps' user and the clients' user must differ") }, definitions: undefined });
  });

  it.each([
    { attach: 'already attached' as const, status: 0, stderr: '' },
    { attach: 'fails' as const, status: 1, stderr: 'mc: <ERROR> Unable to attach policy: connection refused\n' },
  ])("has the Jobs' S3 user hook exit $status when MinIO answers the policy's attachment with: $attach", ({ attach, status, stderr }) => {
    const current = renderCase([]);
    const { workload, container } = containerNamed(current.release, 'mc')!;
    const { run } = provisionWithFakeMc(current, workload, container, attach);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status, stderr });
  });

  it.each(DOCUMENTED_CHARTS)('documents every key of the $name values.yaml with @param, as the README values table lists them', ({ name, dir }) => {
    expect(undocumentedKeys(dir)).toEqual([]);
    expect(unknownParams(dir)).toEqual([]);
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    expect(readme).toContain(`<!-- values-table:${name} -->`);
    // On a difference, rewrite the tables: npx tsx test/chart/values-table.ts
    expect(readme).toBe(readmeWithTables(readme));
  });

  it('keeps every Service and Job name a DNS label under the longest release name Helm allows (a Job labels its pods with its name)', () => {
    const release = new Release(render({ release: 'r'.repeat(53) }), NAMESPACE);
    for (const object of [...release.all('Service'), ...release.all('Job')]) expect(object.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});

describe.each(CASES)('rendered with $name', ({ valuesFiles }) => {
  const rendered = () => renderCase(valuesFiles);

  it('gives objects that the Kubernetes API types accept, without fields they lack', () => {
    const problems = rendered().release.objects.flatMap((object) => kubernetesProblems(object).map((problem) => `${object.kind} ${object.metadata.name}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it("names every object validly, in the release namespace, with the chart's standard labels", () => {
    for (const object of rendered().release.objects) {
      expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
      expect(object.metadata.namespace).toBe(NAMESPACE);
      expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/managed-by': 'Helm' });
      expect(Object.keys(object.metadata.labels ?? {})).toEqual(expect.arrayContaining(['app.kubernetes.io/name', 'helm.sh/chart', 'app.kubernetes.io/version']));
    }
  });

  it.each(APPS)('gives $argument only variables it reads, with values its own configuration accepts', ({ argument, config }) => {
    const { container, values } = appEnvironment(rendered(), argument);
    const read = new Set(Object.keys(new config()));
    const helpers = referencedNames(container);
    expect(Object.keys(values).filter((name) => !read.has(name) && !helpers.has(name))).toEqual([]);
    expect(() => loadConfig(config, values)).not.toThrow();
  });

  it('sets the settings a cluster needs and points the apps at the S3 store and RabbitMQ of the release', () => {
    const current = rendered();
    for (const { argument } of APPS) {
      const { values } = appEnvironment(current, argument);
      expect(LOCAL_DEFAULTS.filter((name) => !values[name])).toEqual([]);
      if (current.values.minio.enabled) expect(imageBehind(current.release, values.S3_ENDPOINT)).toMatch(/\/minio\/minio[:@]/);
      else expect(values.S3_ENDPOINT).toBe(current.values.externalS3.endpoint);
      const amqpUrl = new URL(values.AMQP_URL);
      if (current.values['work-queue'].enabled) {
        expect(imageBehind(current.release, values.AMQP_URL)).toMatch(/\/rabbitmq:[\d.]+-management$/);
      } else {
        const broker = current.values.externalRabbitmq;
        expect(`${amqpUrl.protocol}//${amqpUrl.hostname}:${amqpUrl.port}`).toBe(`${broker.tls ? 'amqps' : 'amqp'}://${broker.host}:${broker.port}`);
        expect(decodeURIComponent(amqpUrl.pathname.slice(1)) || '/').toBe(broker.vhost);
      }
    }
    const worker = appEnvironment(current, 'cloud-worker').values;
    expect(WORKER_CLUSTER_SETTINGS.filter((name) => !worker[name])).toEqual([]);
    expect(worker.JOB_NAMESPACE).toBe(NAMESPACE);
  });

  it('reads every credential from a Secret key that exists, and holds none as a literal value', () => {
    const current = rendered();
    const secretValue = existingSecretValue(current);
    const secrets = current.release
      .all('Secret')
      .flatMap((secret) => Object.entries(current.release.secretData(secret.metadata.name)!).filter(([key]) => /password|secret|token/i.test(key)).map(([, value]) => value));
    const problems: string[] = [];
    for (const { object, pod } of current.release.workloads()) {
      for (const container of pod.containers) {
        const where = `${object.metadata.name} ${container.name}`;
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref && current.release.secretData(ref.name)?.[ref.key] === undefined) secretValue(ref);
          if (!ref && /PASS|SECRET|ACCESS_KEY|ROOT_USER|TOKEN/.test(variable.name)) problems.push(`${where}: ${variable.name} is not read from a Secret`);
          if (secrets.some((secret) => (variable.value ?? '').includes(secret))) problems.push(`${where}: ${variable.name} holds a Secret's value`);
        }
        if (secrets.some((secret) => (container.args ?? []).join(' ').includes(secret))) problems.push(`${where}: its arguments hold a Secret's value`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("points both apps and the bundled stores at the same Secrets: MinIO's root user, RabbitMQ's apps user", () => {
    const current = rendered();
    const { env, values } = appEnvironment(current, 'cloud-worker');
    const api = appEnvironment(current, 'api').env;
    for (const name of ['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'AMQP_USERNAME', 'AMQP_PASSWORD']) expect(secretRefOf(api, name)).toEqual(secretRefOf(env, name));
    if (current.values.minio.enabled) {
      const { workload } = current.release.serviceRoute(new URL(values.S3_ENDPOINT).hostname);
      const minio = workload.pod.containers[0];
      expect([containerEnvRef(minio, 'MINIO_ROOT_USER'), containerEnvRef(minio, 'MINIO_ROOT_PASSWORD')]).toEqual([secretRefOf(env, 'S3_ACCESS_KEY'), secretRefOf(env, 'S3_SECRET_KEY')]);
    }
    if (current.values['work-queue'].enabled) {
      const { workload } = current.release.serviceRoute(new URL(values.AMQP_URL).hostname);
      const definitions = workload.pod.initContainers!.find((container) => container.name === DEFINITIONS_CONTAINER)!;
      expect([containerEnvRef(definitions, 'APPS_USERNAME'), containerEnvRef(definitions, 'APPS_PASSWORD')]).toEqual([secretRefOf(env, 'AMQP_USERNAME'), secretRefOf(env, 'AMQP_PASSWORD')]);
    }
  });

  it("gives the Jobs an S3 Secret of their own, never the apps', with the keys the Jobs read, and the settings of the values", () => {
    const current = rendered();
    const jobs = current.values.jobs;
    const { env, values } = appEnvironment(current, 'cloud-worker');
    const jobSecret = values.JOB_S3_SECRET_NAME;
    expect(jobSecret).not.toBe(secretRefOf(env, 'S3_ACCESS_KEY')!.name);
    expect(secretRefOf(env, 'JOB_S3_ACCESS_KEY')).toEqual({ name: jobSecret, key: S3_SECRET_ACCESS_KEY });
    expect(secretRefOf(env, 'JOB_S3_SECRET_KEY')).toEqual({ name: jobSecret, key: S3_SECRET_SECRET_KEY });
    const jobSecretData = current.release.secretData(jobSecret);
    if (jobSecretData) expect(Object.keys(jobSecretData).sort()).toEqual([...S3_KEYS].sort());
    else expect(current.existingSecrets.get(jobSecret)).toEqual(S3_KEYS);
    const appsSecretData = current.release.secretData(secretRefOf(env, 'S3_ACCESS_KEY')!.name);
    if (jobSecretData && appsSecretData) expect(jobSecretData.accessKey).not.toBe(appsSecretData.accessKey);
    expect(values.JOB_S3_CREDENTIALS).toBe(jobs.s3.credentials);
    expect(values.JOB_RUN_AS_NON_ROOT).toBe(String(jobs.podSecurity.runAsNonRoot));
    expect(values.JOB_IMAGE_PULL_SECRETS ?? '').toBe(jobs.imagePullSecrets.map((secret) => secret.name).join(','));
    expect(values.JOB_TTL_SECONDS).toBe(String(jobs.ttlSecondsAfterFinished));
    if (jobs.serviceAccount.create) {
      expect(current.release.get('ServiceAccount', values.JOB_SERVICE_ACCOUNT)).toMatchObject({ automountServiceAccountToken: false });
    } else {
      expect(values.JOB_SERVICE_ACCOUNT).toBe(jobs.serviceAccount.name || undefined);
    }
  });

  it('grants the worker exactly KUBE_PERMISSIONS (and STS_KUBE_PERMISSIONS with jobs.s3.credentials sts) in the release namespace through its ServiceAccount', () => {
    const { release, values } = rendered();
    const worker = release.app('cloud-worker').workload.pod;
    const perJobCredentials = values.jobs.s3.credentials === 'sts';
    expect(grantedTo(release, worker.serviceAccountName)).toEqual(kubePermissionSet([...KUBE_PERMISSIONS, ...(perJobCredentials ? STS_KUBE_PERMISSIONS : [])]));
    expect(worker.automountServiceAccountToken).toBe(true);
  });

  it("grants the api, through a ServiceAccount of its own, exactly API_KUBE_PERMISSIONS (read-only: pods, pods/log; and API_STS_KUBE_PERMISSIONS' get on Secrets with sts) in the Jobs' namespace, and tells it that namespace and what to mask", () => {
    const current = rendered();
    const { release, values } = current;
    const api = release.app('api').workload.pod;
    const worker = release.app('cloud-worker').workload.pod;
    expect(api.serviceAccountName).toBeDefined();
    expect(api.serviceAccountName).not.toBe(worker.serviceAccountName);
    expect(api.automountServiceAccountToken).toBe(true);
    expect(release.get('ServiceAccount', api.serviceAccountName!)).toMatchObject({ automountServiceAccountToken: false });
    const perJobCredentials = values.jobs.s3.credentials === 'sts';
    const granted = grantedTo(release, api.serviceAccountName);
    expect(granted).toEqual(kubePermissionSet([...API_KUBE_PERMISSIONS, ...(perJobCredentials ? API_STS_KUBE_PERMISSIONS : [])]));
    expect(granted.filter((permission) => !/:(get|list|watch)$/.test(permission))).toEqual([]);
    const environment = appEnvironment(current, 'api');
    expect(environment.values).toMatchObject({ JOB_NAMESPACE: NAMESPACE, JOB_S3_CREDENTIALS: values.jobs.s3.credentials, SSE_KEEPALIVE_SECONDS: String(values.api.sseKeepaliveSeconds) });
    expect(appEnvironment(current, 'cloud-worker').values.JOB_NAMESPACE).toBe(environment.values.JOB_NAMESPACE);
  });

  it('runs every container as non-root, without privilege escalation or capabilities, on a read-only root file system, under RuntimeDefault seccomp', () => {
    for (const { object, pod } of rendered().release.workloads()) {
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const effective: SecurityContext = { ...pod.securityContext, ...container.securityContext };
        const where = `${object.kind} ${object.metadata.name} ${container.name}`;
        expect({ where, runAsNonRoot: effective.runAsNonRoot, allowPrivilegeEscalation: effective.allowPrivilegeEscalation, readOnlyRootFilesystem: effective.readOnlyRootFilesystem }).toEqual({
          where,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        expect(effective.runAsUser).toBeGreaterThan(0);
        expect(effective.capabilities?.drop).toEqual(['ALL']);
        expect(effective.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      }
    }
  });

  it('keeps every Secret value out of ConfigMaps', () => {
    const { release } = rendered();
    const secrets = release
      .all('Secret')
      .flatMap((secret) => Object.entries(release.secretData(secret.metadata.name)!).filter(([key]) => /password|secret|token/i.test(key)).map(([, value]) => value));
    const leaks = release.all('ConfigMap').flatMap((configMap) =>
      Object.entries((configMap.data ?? {}) as Record<string, string>)
        .filter(([, text]) => secrets.some((secret) => text.includes(secret)))
        .map(([key]) => `${configMap.metadata.name} ${key}`),
    );
    expect(leaks).toEqual([]);
  });

  it('has the bundled RabbitMQ load its users at boot: the apps user on the cloud-worker names, the client user on what an MSTC client does, no guest', () => {
    const current = rendered();
    if (!current.values['work-queue'].enabled) {
      expect(containerNamed(current.release, DEFINITIONS_CONTAINER)).toBeUndefined();
      return;
    }
    const { run, definitions } = brokerDefinitions(current.release, { secretValue: existingSecretValue(current) });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const { values } = appEnvironment(current, 'cloud-worker');
    const [client] = definitions!.users.filter((user) => user.name !== values.AMQP_USERNAME);
    expect(definitions!.users).toEqual([
      { name: values.AMQP_USERNAME, password: values.AMQP_PASSWORD, tags: [] },
      { name: run.env.CLIENT_USERNAME, password: run.env.CLIENT_PASSWORD, tags: [] },
    ]);
    expect(client.name).not.toBe('guest');
    expect(definitions!.vhosts).toEqual([{ name: '/' }]);
    expect(definitions!.permissions.map((grant) => grant.user).sort()).toEqual([values.AMQP_USERNAME, client.name].sort());

    const apps = permissionsOf(definitions!, values.AMQP_USERNAME);
    const appResources = [values.WORK_EXCHANGE, values.WORK_QUEUE, values.DEAD_LETTER_QUEUE, values.RESULTS_EXCHANGE, values.CONTROL_EXCHANGE, `${values.CONTROL_EXCHANGE}.worker-1.0a1b2c3d`, 'amq.gen-JzTY20BRgKO-HjmUJj0wLg', 'amq.default'];
    for (const operation of ['configure', 'write', 'read'] as const) {
      expect(appResources.filter((resource) => !allows(apps, operation, resource))).toEqual([]);
      expect(allows(apps, operation, 'other.queue')).toBe(false);
    }

    // Exactly an MSTC client: declare the work queue and its own server-named reply queues, publish to the work
    // exchange (or the default exchange), consume its reply queues.
    const mstc = permissionsOf(definitions!, client.name);
    const everything = [values.WORK_EXCHANGE, values.WORK_QUEUE, values.DEAD_LETTER_QUEUE, values.RESULTS_EXCHANGE, values.CONTROL_EXCHANGE, `${values.CONTROL_EXCHANGE}.worker-1.0a1b2c3d`, 'amq.gen-JzTY20BRgKO-HjmUJj0wLg', 'amq.default', 'other.queue'];
    const granted = (operation: 'configure' | 'write' | 'read') => everything.filter((resource) => allows(mstc, operation, resource));
    expect(granted('configure')).toEqual([values.WORK_QUEUE, 'amq.gen-JzTY20BRgKO-HjmUJj0wLg']);
    expect(granted('write')).toEqual([values.WORK_EXCHANGE, 'amq.default']);
    expect(granted('read')).toEqual(['amq.gen-JzTY20BRgKO-HjmUJj0wLg']);

    const rabbitmq = current.release.serviceRoute(new URL(values.AMQP_URL).hostname).workload;
    const definitionsFile = containerNamed(current.release, DEFINITIONS_CONTAINER)!.container.env!.find((variable) => variable.name === 'DEFINITIONS_FILE')!.value!;
    const brokerConfig = Object.values((current.release.get('ConfigMap', rabbitmq.object.metadata.name).data ?? {}) as Record<string, string>).join('\n');
    expect(brokerConfig).toMatch(new RegExp(`^load_definitions = ${definitionsFile}$`, 'm'));
    const mounts = (rabbitmq.pod.containers[0] as unknown as { volumeMounts: Array<{ mountPath: string; name: string }> }).volumeMounts;
    expect(mounts.find((mount) => mount.mountPath === dirname(definitionsFile))?.name).toBe(DEFINITIONS_CONTAINER);
  });

  it("has the api read its tokens from a mounted Secret that holds the helm test pod's token, hashed, with the roles submit and read", () => {
    const current = rendered();
    const { container, workload, values } = appEnvironment(current, 'api');
    const file = values.AUTH_TOKENS_FILE;
    const mount = (container as unknown as { volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }).volumeMounts.find((candidate) => candidate.mountPath === dirname(file));
    const volume = (workload.pod as unknown as { volumes: Array<{ name: string; secret?: { secretName: string; items: Array<{ key: string; path: string }> } }> }).volumes.find((candidate) => candidate.name === mount?.name);
    expect(mount?.readOnly).toBe(true);
    expect(volume?.secret?.items).toEqual([{ key: TOKENS_FILE_KEY, path: basename(file) }]);
    const testPod = current.release.all('Pod').find((pod) => pod.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    const tokenRef = containerEnvRef((testPod.spec as { containers: Container[] }).containers[0], 'API_TOKEN')!;
    expect(tokenRef.key).toBe(TEST_TOKEN_KEY);
    const token = current.release.secretData(tokenRef.name)![TEST_TOKEN_KEY];
    expect(token).toMatch(/^[A-Za-z0-9]{32,}$/);
    const tokensSecret = current.release.secretData(volume!.secret!.secretName);
    if (!tokensSecret) {
      expect(volume!.secret!.secretName).toBe(current.values.api.auth.existingSecret);
      return;
    }
    const tokens = JSON.parse(tokensSecret[TOKENS_FILE_KEY]) as Array<{ name: string; roles: string[]; sha256: string }>;
    expect(tokens).toEqual([...current.values.api.auth.tokens, { name: 'helm-test', roles: ['submit', 'read'], sha256: createHash('sha256').update(token).digest('hex') }]);
    expect(JSON.stringify(tokens)).not.toContain(token);
  });

  it("sets the api's authentication settings and both apps' image policy from the values, which allows the helm test's image", () => {
    const current = rendered();
    const api = appEnvironment(current, 'api').values;
    const values = mergedValues(valuesFiles) as unknown as { api: { auth: { oidc: Record<string, string> }; metricsRequireToken: boolean; submitRatePerMinute: number; filesMaxBytes: number }; config: { allowedImages: string[]; imageDenyLatest: boolean; imageRequireDigest: boolean } };
    const oidc = values.api.auth.oidc;
    expect([api.OIDC_ISSUER, api.OIDC_AUDIENCE, api.OIDC_JWKS_URL]).toEqual(oidc.issuer ? [oidc.issuer, oidc.audience, oidc.jwksUrl] : [undefined, undefined, undefined]);
    expect([api.OIDC_OWNER_CLAIM, api.OIDC_ROLES_CLAIM]).toEqual([oidc.ownerClaim, oidc.rolesClaim]);
    expect([api.METRICS_REQUIRE_TOKEN, api.SUBMIT_RATE_PER_MINUTE, api.FILES_MAX_BYTES]).toEqual([String(values.api.metricsRequireToken), String(values.api.submitRatePerMinute), String(values.api.filesMaxBytes)]);
    for (const { argument } of APPS) {
      const env = appEnvironment(current, argument).values;
      expect([env.ALLOWED_IMAGES, env.IMAGE_DENY_LATEST, env.IMAGE_REQUIRE_DIGEST]).toEqual([values.config.allowedImages.join(','), String(values.config.imageDenyLatest), String(values.config.imageRequireDigest)]);
    }
    expect(values.config.allowedImages.some((pattern) => globPattern(pattern).test(current.values.tests.jobImage))).toBe(true);
    if (values.config.imageRequireDigest) expect(current.values.tests.jobImage).toMatch(/@sha256:[a-f0-9]{64}$/);
  });

  it("provisions the Jobs' S3 user in the bundled MinIO from a post-install and post-upgrade hook, with a policy that keeps it out of the records bucket", () => {
    const current = rendered();
    const hooks = current.release.all('Job').filter((job) => /post-install/.test(job.metadata.annotations?.['helm.sh/hook'] ?? ''));
    if (!current.values.minio.enabled) {
      expect(hooks).toEqual([]);
      return;
    }
    expect(hooks).toHaveLength(1);
    expect(hooks[0].metadata.annotations).toMatchObject({ 'helm.sh/hook': 'post-install,post-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    const { env, values } = appEnvironment(current, 'cloud-worker');
    const { workload, container } = containerNamed(current.release, 'mc')!;
    const image = current.values.jobs.s3.provisioner.image;
    if (image.digest) expect(container.image.endsWith(`@${image.digest}`)).toBe(true);
    else expect(container.image).toMatch(/\/minio\/mc:RELEASE\.[\dTZ-]+$/);
    expect([containerEnvRef(container, 'ROOT_ACCESS_KEY'), containerEnvRef(container, 'ROOT_SECRET_KEY')]).toEqual([secretRefOf(env, 'S3_ACCESS_KEY'), secretRefOf(env, 'S3_SECRET_KEY')]);
    expect([containerEnvRef(container, 'JOBS_ACCESS_KEY'), containerEnvRef(container, 'JOBS_SECRET_KEY')]).toEqual([secretRefOf(env, 'JOB_S3_ACCESS_KEY'), secretRefOf(env, 'JOB_S3_SECRET_KEY')]);

    const { run, calls, policy } = provisionWithFakeMc(current, workload, container, 'attaches');
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(calls).toEqual([
      `alias set store ${values.S3_ENDPOINT} ${run.env.ROOT_ACCESS_KEY} ${run.env.ROOT_SECRET_KEY}`,
      `admin policy create store ${current.values.jobs.s3.provisioner.policyName} ${run.env.POLICY_FILE}`,
      `admin user add store ${values.JOB_S3_ACCESS_KEY} ${values.JOB_S3_SECRET_KEY}`,
      `admin policy attach store ${current.values.jobs.s3.provisioner.policyName} --user ${values.JOB_S3_ACCESS_KEY}`,
    ]);
    const records = values.RECORDS_BUCKET;
    expect(policyAllows(policy, 's3:PutObject', `arn:aws:s3:::${records}/job-1.json`)).toBe(false);
    expect(policyAllows(policy, 's3:GetObject', `arn:aws:s3:::${records}/job-1.json`)).toBe(false);
    expect(policyAllows(policy, 's3:ListBucket', `arn:aws:s3:::${records}`)).toBe(false);
    expect(policyAllows(policy, 's3:PutObject', 'arn:aws:s3:::test-bucket/out/result.txt')).toBe(true);
    expect(policyAllows(policy, 's3:ListBucket', 'arn:aws:s3:::test-bucket')).toBe(true);
  });

  it('creates NetworkPolicies only when networkPolicy.enabled is set', () => {
    const { release, values } = rendered();
    expect(release.all('NetworkPolicy').length > 0).toBe(values.networkPolicy.enabled);
  });

  it('creates a LimitRange and a ResourceQuota for the namespace when the values ask for them, sized by them', () => {
    const { release, values } = rendered();
    const limitRanges = release.all('LimitRange');
    const quotas = release.all('ResourceQuota');
    expect(limitRanges).toHaveLength(values.jobs.limitRange.enabled ? 1 : 0);
    expect(quotas).toHaveLength(values.jobs.resourceQuota.enabled ? 1 : 0);
    if (values.jobs.limitRange.enabled) {
      const { default: limits, defaultRequest, max } = values.jobs.limitRange;
      expect(limitRanges[0].spec).toEqual({ limits: [{ type: 'Container', default: limits, defaultRequest, max }] });
    }
    if (values.jobs.resourceQuota.enabled) expect(quotas[0].spec).toEqual({ hard: values.jobs.resourceQuota.hard });
  });

  it.each(APPS)('probes $argument on /health/live and /health/ready at its PORT', ({ argument }) => {
    const { container, values } = appEnvironment(rendered(), argument);
    const http = container.ports?.find((port) => port.name === 'http');
    expect(http?.containerPort).toBe(Number(values.PORT));
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
  });

  it("routes every Service to one workload's container ports", () => {
    const { release } = rendered();
    for (const service of release.all('Service')) {
      const { service: spec, workload } = release.serviceRoute(service.metadata.name);
      const ports = workload.pod.containers.flatMap((container) => container.ports ?? []);
      for (const port of spec.ports) expect(ports.some((candidate) => candidate.name === port.targetPort || candidate.containerPort === port.targetPort)).toBe(true);
    }
  });

  it("sets RabbitMQ's consumer_timeout above the apps' MAX_TIMEOUT_MINUTES, since a message is held while its Job runs", () => {
    const current = rendered();
    const { values } = appEnvironment(current, 'cloud-worker');
    expect(appEnvironment(current, 'api').values.MAX_TIMEOUT_MINUTES).toBe(values.MAX_TIMEOUT_MINUTES);
    const brokerConfigs = current.release.all('ConfigMap').flatMap((configMap) => Object.values((configMap.data ?? {}) as Record<string, string>).filter((text) => /^consumer_timeout\s*=/m.test(text)));
    if (!current.values['work-queue'].enabled) {
      expect(brokerConfigs).toEqual([]);
      return;
    }
    expect(brokerConfigs).toHaveLength(1);
    const consumerTimeoutMs = Number(/^consumer_timeout\s*=\s*(\d+)\s*$/m.exec(brokerConfigs[0])![1]);
    expect(consumerTimeoutMs).toBeGreaterThan(Number(values.MAX_TIMEOUT_MINUTES) * 60_000);
  });

  it('has a helm test hook that runs files/submit-test-job.mjs against the api Service', () => {
    const { release } = rendered();
    const hooks = release.all('Pod').filter((pod) => pod.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks).toHaveLength(1);
    const container = (hooks[0].spec as { containers: Container[] }).containers[0];
    expect(container.args).toEqual(['--input-type=module', '--eval', readFileSync(join(CHART, 'files/submit-test-job.mjs'), 'utf8')]);
    const apiUrl = container.env!.find((variable) => variable.name === 'API_URL')!.value!;
    expect(imageBehind(release, apiUrl)).toBe(release.app('api').container.image);
  });

  it("runs the apps' one image at the chart's appVersion, or at the tag the values pin", () => {
    const current = rendered();
    const image = current.values.image;
    const expected = `${image.registry}/${image.repository}:${image.tag || CHART_YAML.appVersion}`;
    for (const { argument } of APPS) expect(current.release.app(argument).container.image).toBe(expected);
  });
});

describe('the environments', () => {
  const service = (release: Release) => release.get('Service', `${RELEASE}-cloud-worker-api`).spec as { type: string };
  const replicas = (release: Release, argument: string) => (release.app(argument).workload.object.spec as { replicas: number }).replicas;

  it('runs two workers behind a ClusterIP api by default, with no volumes to keep', () => {
    const { release } = renderCase([]);
    expect(replicas(release, 'cloud-worker')).toBe(2);
    expect(service(release).type).toBe('ClusterIP');
    expect(release.all('PersistentVolumeClaim')).toEqual([]);
  });

  it('runs test small: one worker, the api on a NodePort, nothing persisted', () => {
    const { release } = renderCase(['values-test.yaml']);
    expect(replicas(release, 'cloud-worker')).toBe(1);
    expect(service(release).type).toBe('NodePort');
    expect(release.all('PersistentVolumeClaim')).toEqual([]);
  });

  it('runs prod on pinned images from the registry with its pull secret, persistent stores, and the api on an address-pool load balancer', () => {
    const { release } = renderCase(['values-prod.yaml']);
    expect((release.get('ScaledObject', release.app('cloud-worker').workload.object.metadata.name).spec as { minReplicaCount: number }).minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(release.get('Service', `${RELEASE}-cloud-worker-api`)).toMatchObject({
      metadata: { annotations: { 'metallb.universe.tf/address-pool': expect.any(String) } },
      spec: { type: 'LoadBalancer' },
    });
    expect(release.all('PersistentVolumeClaim').map((claim) => claim.metadata.name).sort()).toEqual([`${RELEASE}-minio`, `${RELEASE}-work-queue`]);
    for (const { pod } of release.workloads()) for (const container of pod.containers) expect(container.image).toMatch(/:(?!latest$)[\w.-]+$/);
    for (const { argument } of APPS) expect(release.app(argument).workload.pod.imagePullSecrets).toEqual([{ name: 'harbor-robot' }]);
    expect(appEnvironment(renderCase(['values-prod.yaml']), 'cloud-worker').values.JOB_IMAGE_PULL_SECRETS).toBe('harbor-robot');
  });

  it("gives Jobs requests and limits by default, and lets them run as root unless the values say otherwise (prod does)", () => {
    const jobs = appEnvironment(renderCase([]), 'cloud-worker').values;
    expect([jobs.JOB_CPU_REQUEST, jobs.JOB_MEMORY_REQUEST, jobs.JOB_CPU_LIMIT, jobs.JOB_MEMORY_LIMIT]).toEqual(['100m', '128Mi', '1', '512Mi']);
    expect(jobs.JOB_RUN_AS_NON_ROOT).toBe('false');
    expect(appEnvironment(renderCase(['values-prod.yaml']), 'cloud-worker').values.JOB_RUN_AS_NON_ROOT).toBe('true');
  });

  it("caps what a request may ask for in prod, at the api and the worker alike, and not by default", () => {
    for (const { argument } of APPS) {
      expect(appEnvironment(renderCase([]), argument).values).not.toHaveProperty('JOB_MAX_CPU');
      const { values } = appEnvironment(renderCase(['values-prod.yaml']), argument);
      expect([values.JOB_MAX_CPU, values.JOB_MAX_MEMORY]).toEqual(['8', '16Gi']);
    }
  });

  it("allows any image by default, and in prod only the site's registry, never :latest", () => {
    expect(appEnvironment(renderCase([]), 'api').values.ALLOWED_IMAGES).toBe('*');
    const prod = renderCase(['values-prod.yaml']);
    for (const { argument } of APPS) {
      const { values } = appEnvironment(prod, argument);
      expect(values.ALLOWED_IMAGES.split(',')).toEqual([`${prod.values.image.registry}/*`]);
      expect(values.IMAGE_DENY_LATEST).toBe('true');
    }
  });

  it("places each app's pods by its own nodeSelector, affinity and tolerations", () => {
    const { release, values } = renderCase(['ci/scheduling-values.yaml']);
    const pod = (argument: string) => release.app(argument).workload.pod as unknown as Record<string, unknown>;
    expect(pod('api')).toMatchObject({ nodeSelector: values.api.nodeSelector, tolerations: values.api.tolerations });
    expect(pod('api').affinity).toBeUndefined();
    expect(pod('cloud-worker')).toMatchObject({ affinity: values.worker.affinity });
    expect(pod('cloud-worker').nodeSelector).toBeUndefined();
  });

  it("leaves MinIO out and keeps the external store's credentials, the apps' and the Jobs', in Secrets of their own when minio.enabled is false", () => {
    const current = renderCase(['ci/external-s3-values.yaml']);
    expect(current.release.objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/name'] === 'minio')).toEqual([]);
    const { env, values } = appEnvironment(current, 'cloud-worker');
    expect(current.release.secretData(secretRefOf(env, 'S3_ACCESS_KEY')!.name)).toEqual({ accessKey: 'cloud-worker', secretKey: 'not-a-real-secret' });
    expect(current.release.secretData(values.JOB_S3_SECRET_NAME)).toEqual({ accessKey: 'cloud-worker-jobs', secretKey: 'not-a-real-jobs-secret' });
    expect([values.JOB_S3_HOST, values.JOB_S3_PORT]).toEqual(['s3.example.org', '443']);
  });
});

describe("the workers' autoscaling", () => {
  interface ScaledObjectSpec {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    cooldownPeriod: number;
    triggers: Array<{ type: string; metadata: Record<string, string>; authenticationRef: { name: string } }>;
  }
  interface AutoscalingValues {
    worker: {
      concurrency: number;
      autoscaling: {
        keda: { minReplicaCount: number; maxReplicaCount: number; targetReadyMessages: number | null; activationReadyMessages: number; pollingInterval: number; cooldownPeriod: number };
        hpa: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
      };
    };
  }
  const KEDA_ON = ['worker.autoscaling.keda.enabled=true'];

  const workerDeployment = (release: Release) => release.app('cloud-worker').workload.object;
  const scaledObject = (release: Release) => release.get('ScaledObject', workerDeployment(release).metadata.name).spec as unknown as ScaledObjectSpec;
  /** What a URL names, credentials aside. */
  const address = (url: string) => {
    const { protocol, host, pathname } = new URL(url);
    return { protocol, host, pathname };
  };

  it('creates no autoscaler by default, and the Deployment keeps worker.replicaCount', () => {
    const { release } = renderCase([]);
    expect([...release.all('ScaledObject'), ...release.all('TriggerAuthentication'), ...release.all('HorizontalPodAutoscaler')]).toEqual([]);
    expect((workerDeployment(release).spec as { replicas?: number }).replicas).toBe(2);
  });

  it.each(['ci/keda-values.yaml', 'ci/hpa-values.yaml', 'values-prod.yaml'])('leaves the replica count of the worker Deployment to the autoscaler of %s', (valuesFile) => {
    const { release } = renderCase([valuesFile]);
    expect(workerDeployment(release).spec).not.toHaveProperty('replicas');
    expect([...release.all('ScaledObject'), ...release.all('HorizontalPodAutoscaler')]).toHaveLength(1);
  });

  it("scales the worker Deployment on the ready messages of the queue the worker consumes, with the values' bounds, target and activation", () => {
    const current = renderCase(['ci/keda-values.yaml']);
    const keda = (current.values as unknown as AutoscalingValues).worker.autoscaling.keda;
    const spec = scaledObject(current.release);
    expect(spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: workerDeployment(current.release).metadata.name });
    expect(spec).toMatchObject({ minReplicaCount: keda.minReplicaCount, maxReplicaCount: keda.maxReplicaCount, pollingInterval: keda.pollingInterval, cooldownPeriod: keda.cooldownPeriod });
    expect(spec.triggers).toHaveLength(1);
    const [trigger] = spec.triggers;
    expect(trigger).toMatchObject({ type: 'rabbitmq', metadata: { protocol: 'amqp', mode: 'QueueLength', value: String(keda.targetReadyMessages), activationValue: String(keda.activationReadyMessages) } });
    expect(trigger.metadata.queueName).toBe(appEnvironment(current, 'cloud-worker').values.WORK_QUEUE);
  });

  it('aims at worker.concurrency ready messages per worker unless the values give a target', () => {
    const current = renderCase(['values-prod.yaml']);
    expect(scaledObject(current.release).triggers[0].metadata.value).toBe(appEnvironment(current, 'cloud-worker').values.CONCURRENCY);
  });

  it.each([
    { name: 'the bundled broker', valuesFiles: [] as string[] },
    { name: 'its Secret made outside the chart', valuesFiles: ['ci/existing-secrets-values.yaml'] },
    { name: 'an external broker', valuesFiles: ['ci/external-rabbitmq-values.yaml'] },
  ])("connects KEDA to the worker's broker as the worker's user, read from the worker's Secret, never a literal credential: $name", ({ valuesFiles }) => {
    const current = { ...renderCase(valuesFiles), release: new Release(render({ valuesFiles, set: KEDA_ON }), NAMESPACE) };
    const { env, values } = appEnvironment(current, 'cloud-worker');
    const [trigger] = scaledObject(current.release).triggers;
    expect(address(trigger.metadata.host)).toEqual(address(values.AMQP_URL));
    expect(new URL(trigger.metadata.host)).toMatchObject({ username: '', password: '' });
    expect(Object.keys(trigger.metadata).filter((key) => /host|user|password/i.test(key))).toEqual(['host']);
    const auth = current.release.get('TriggerAuthentication', trigger.authenticationRef.name).spec as { secretTargetRef: Array<{ parameter: string; name: string; key: string }> };
    expect(auth).toEqual({
      secretTargetRef: [
        { parameter: 'username', ...secretRefOf(env, 'AMQP_USERNAME') },
        { parameter: 'password', ...secretRefOf(env, 'AMQP_PASSWORD') },
      ],
    });
  });

  it("scales the worker Deployment on CPU, a share of the worker's CPU request, with the HorizontalPodAutoscaler", () => {
    const current = renderCase(['ci/hpa-values.yaml']);
    const hpa = (current.values as unknown as AutoscalingValues).worker.autoscaling.hpa;
    expect(current.release.get('HorizontalPodAutoscaler', workerDeployment(current.release).metadata.name).spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workerDeployment(current.release).metadata.name },
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.targetCPUUtilizationPercentage } } }],
    });
    const rendered = helm(templateArgs({ valuesFiles: ['ci/hpa-values.yaml'], set: ['worker.resources.requests=null'] }));
    expect(rendered.status).not.toBe(0);
    expect(rendered.stderr).toMatch(/worker.autoscaling.hpa needs worker.resources.requests.cpu/);
  });

  it("lets a worker scaled in finish its shutdown within its grace period, and caps disruptions, not the replicas left (prod's budget)", () => {
    const current = renderCase(['values-prod.yaml']);
    const { workload, values } = appEnvironment(current, 'cloud-worker');
    expect((workload.pod as unknown as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds).toBeGreaterThan(Number(values.SHUTDOWN_TIMEOUT_SECONDS));
    const budget = current.release.get('PodDisruptionBudget', workerDeployment(current.release).metadata.name).spec as Record<string, unknown>;
    expect(budget).toHaveProperty('maxUnavailable');
    expect(budget).not.toHaveProperty('minAvailable');
  });
});

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}

interface PolicyRule {
  to?: PolicyPeer[];
  from?: PolicyPeer[];
  ports?: Array<{ protocol: string; port: number }>;
}

interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

/** Kubernetes' label selector semantics: every label and expression must hold; an empty selector selects all. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      if (operator === 'In') return values.includes(labels[key]);
      if (operator === 'NotIn') return !values.includes(labels[key]);
      return (key in labels) === (operator === 'Exists');
    })
  );
}

describe.each(['ci/network-policy-values.yaml', 'ci/network-policy-external-values.yaml'])('the NetworkPolicies of %s', (valuesFile) => {
  const current = renderCase([valuesFile]);
  const { release, values } = current;
  const networkPolicy = mergedValues([valuesFile]).networkPolicy as { dns: PolicyPeer; externalS3Cidrs: string[]; externalRabbitmqCidrs: string[] };
  const policies = release.all('NetworkPolicy').map((policy) => ({ name: policy.metadata.name, spec: policy.spec as NetworkPolicySpec }));
  const workloads = release.workloads();
  const jobPodLabels = { [MANAGED_BY_LABEL]: MANAGED_BY, 'app.kubernetes.io/name': 'test-job', 'job-name': 'test-job-5f0c' };
  const policiesOf = (labels: Record<string, string>) => policies.filter((policy) => selects(policy.spec.podSelector, labels)).map((policy) => policy.spec);
  const workloadOf = (argument: string) => release.app(argument).workload;

  /** Where a rule's peers are, by name: the release's workloads a pod selector picks, DNS, address blocks. */
  function peers(rule: PolicyRule, direction: 'to' | 'from'): string[] {
    return (rule[direction] ?? []).flatMap((peer) => {
      if (peer.ipBlock) return [peer.ipBlock.cidr];
      if (JSON.stringify(peer) === JSON.stringify(networkPolicy.dns)) return ['dns'];
      if (peer.namespaceSelector) return [`namespace ${JSON.stringify(peer.namespaceSelector.matchLabels)}`];
      const picked = workloads.filter((workload) => selects(peer.podSelector!, workload.labels)).map((workload) => workload.object.metadata.name);
      return selects(peer.podSelector!, jobPodLabels) ? [...picked, 'jobs'] : picked;
    });
  }

  /** Every (peer, port) a pod may send to, or take from. */
  function reach(labels: Record<string, string>, direction: 'egress' | 'ingress'): string[] {
    return policiesOf(labels)
      .flatMap((policy) => policy[direction] ?? [])
      .flatMap((rule) => {
        const ports = (rule.ports ?? []).map((port) => `${port.protocol}/${port.port}`);
        const from = rule[direction === 'egress' ? 'to' : 'from'] === undefined ? ['anyone'] : peers(rule, direction === 'egress' ? 'to' : 'from');
        return from.flatMap((peer) => ports.map((port) => `${peer} ${port}`));
      })
      .sort();
  }

  const s3 = values.minio.enabled ? ['cw-minio TCP/9000'] : networkPolicy.externalS3Cidrs.map((cidr) => `${cidr} TCP/${new URL(values.externalS3.endpoint).port || 443}`);
  const rabbitmq = values['work-queue'].enabled ? ['cw-work-queue TCP/5672'] : networkPolicy.externalRabbitmqCidrs.map((cidr) => `${cidr} TCP/${values.externalRabbitmq.port}`);
  const dns = ['dns TCP/53', 'dns UDP/53'];

  it("isolates the Jobs, selected by the worker's label: they reach only the S3 store and DNS, and nothing reaches them", () => {
    const [jobs, ...others] = policiesOf(jobPodLabels);
    expect(others).toEqual([]);
    expect(jobs.podSelector).toEqual({ matchLabels: { [MANAGED_BY_LABEL]: MANAGED_BY } });
    expect(jobs.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(jobs.ingress ?? []).toEqual([]);
    expect(reach(jobPodLabels, 'egress')).toEqual([...s3, ...dns].sort());
    expect(workloads.filter((workload) => selects(jobs.podSelector, workload.labels))).toEqual([]);
  });

  it('lets the api reach RabbitMQ, S3, DNS and the Kubernetes API server (to follow logs), and take requests on its port from the configured clients and the helm test pod', () => {
    const api = workloadOf('api');
    expect(policiesOf(api.labels)).toHaveLength(1);
    const apiServer = values.networkPolicy.kubernetesApi.ports.map((port) => `${values.networkPolicy.kubernetesApi.cidr} TCP/${port}`);
    expect(reach(api.labels, 'egress')).toEqual([...rabbitmq, ...s3, ...dns, ...apiServer].sort());
    const port = appEnvironment(current, 'api').values.PORT;
    const ingress = reach(api.labels, 'ingress');
    expect(ingress.every((entry) => entry.endsWith(` TCP/${port}`))).toBe(true);
    const testPod = release.all('Pod').find((pod) => pod.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    expect(ingress).toContain(values.networkPolicy.apiFrom.length > 0 ? `${testPod.metadata.name} TCP/${port}` : `anyone TCP/${port}`);
  });

  it('lets the worker reach RabbitMQ, S3, DNS and the Kubernetes API server, and take only health and metrics requests', () => {
    const worker = workloadOf('cloud-worker');
    expect(policiesOf(worker.labels)).toHaveLength(1);
    const apiServer = values.networkPolicy.kubernetesApi.ports.map((port) => `${values.networkPolicy.kubernetesApi.cidr} TCP/${port}`);
    expect(reach(worker.labels, 'egress')).toEqual([...rabbitmq, ...s3, ...dns, ...apiServer].sort());
    const port = appEnvironment(current, 'cloud-worker').values.PORT;
    expect(reach(worker.labels, 'ingress').every((entry) => entry.endsWith(` TCP/${port}`))).toBe(true);
  });

  it('lets the bundled RabbitMQ take AMQP from the apps and the configured clients only, never from the Jobs', () => {
    if (!values['work-queue'].enabled) {
      expect(policies.map((policy) => policy.name)).not.toContain(`${RELEASE}-cloud-worker-work-queue`);
      return;
    }
    const broker = release.serviceRoute(`${RELEASE}-work-queue`).workload;
    const amqp = reach(broker.labels, 'ingress').filter((entry) => entry.endsWith(' TCP/5672'));
    const clients = values.networkPolicy.amqpClientsFrom.map((peer) => `namespace ${JSON.stringify((peer as PolicyPeer).namespaceSelector!.matchLabels)} TCP/5672`);
    expect(amqp).toEqual([`${workloadOf('api').object.metadata.name} TCP/5672`, `${workloadOf('cloud-worker').object.metadata.name} TCP/5672`, ...clients].sort());
  });
});
