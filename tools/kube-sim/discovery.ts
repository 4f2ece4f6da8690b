/**
 * Documents that describe the API rather than hold objects: /version, legacy and aggregated discovery,
 * and the small OpenAPI v3 documents kubectl apply fetches (it needs a `patch` operation that names
 * the kind and offers `fieldValidation`, which makes kubectl leave validation to the server).
 */
import { createHash } from 'node:crypto';
import { RESOURCE_TYPES, type ResourceType } from './resources/index.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** kubectl asks /api and /apis for aggregated discovery first; such an answer must say so in its Content-Type. */
export function acceptsAggregatedDiscovery(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.includes('as=APIGroupDiscoveryList') && part.includes('v=v2') && !part.includes('v=v2beta1'));
}

interface GroupVersion {
  group: string;
  version: string;
}

function groupVersions(): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const { group, version } of RESOURCE_TYPES) seen.set(`${group}/${version}`, { group, version });
  return [...seen.values()];
}

function typesOf({ group, version }: GroupVersion): ResourceType[] {
  return RESOURCE_TYPES.filter((type) => type.group === group && type.version === version).sort((a, b) => a.resource.localeCompare(b.resource));
}

const storageVersionHash = (type: ResourceType) => createHash('sha256').update(`${type.apiVersion}/${type.kind}`).digest('base64').slice(0, 11);

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map(({ version }) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(groupVersions().map((gv) => gv.group).filter(Boolean))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

export function apiGroupDocument(group: string): Record<string, unknown> | undefined {
  if (!groupVersions().some((gv) => gv.group === group && group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = typesOf({ group, version });
  if (!types.length) return undefined;
  const resources = types.flatMap((type) => [
    {
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
      ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
      ...(type.categories.length ? { categories: type.categories } : {}),
      storageVersionHash: storageVersionHash(type),
    },
    ...Object.entries(type.subresources).map(([name, sub]) => ({
      name: `${type.resource}/${name}`,
      singularName: '',
      namespaced: type.namespaced,
      kind: sub.kind,
      verbs: sub.verbs,
    })),
  ]);
  return { kind: 'APIResourceList', ...(group ? { apiVersion: 'v1' } : {}), groupVersion: group ? `${group}/${version}` : version, resources };
}

/** apidiscovery.k8s.io/v2 for the core group (`/api`) or the named groups (`/apis`). */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions().filter((gv) => (gv.group === '') === core)) byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv]);
  const items = [...byGroup.entries()].map(([group, versions]) => ({
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((gv) => ({
      version: gv.version,
      resources: typesOf(gv).map((type) => ({
        resource: type.resource,
        responseKind: { group: type.group, version: type.version, kind: type.kind },
        scope: type.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: type.singular,
        verbs: type.verbs,
        ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
        ...(type.categories.length ? { categories: type.categories } : {}),
        ...(Object.keys(type.subresources).length
          ? {
              subresources: Object.entries(type.subresources).map(([name, sub]) => ({
                subresource: name,
                responseKind: { group: type.group, version: type.version, kind: sub.kind },
                verbs: sub.verbs,
              })),
            }
          : {}),
      })),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

const openApiPath = ({ group, version }: GroupVersion) => (group ? `apis/${group}/${version}` : `api/${version}`);

export function openApiIndex(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const gv of groupVersions()) {
    const path = openApiPath(gv);
    const hash = createHash('sha256').update(JSON.stringify(openApiDocument(path))).digest('hex').toUpperCase();
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}

const queryParameter = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation'].map(queryParameter);

function operation(type: ResourceType, action: string, parameters: unknown[] = []): Record<string, unknown> {
  return {
    operationId: `${action}${type.kind}`,
    parameters,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
  };
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/batch/v1`), or undefined. */
export function openApiDocument(path: string): Record<string, unknown> | undefined {
  const gv = groupVersions().find((candidate) => openApiPath(candidate) === path);
  if (!gv) return undefined;
  const paths: Record<string, unknown> = {};
  for (const type of typesOf(gv)) {
    const collection = `/${path}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}`;
    paths[collection] = { get: operation(type, 'list'), post: operation(type, 'post', WRITE_PARAMETERS) };
    paths[`${collection}/{name}`] = {
      get: operation(type, 'get'),
      put: operation(type, 'put', WRITE_PARAMETERS),
      patch: operation(type, 'patch', [...WRITE_PARAMETERS, queryParameter('force')]),
      delete: operation(type, 'delete', [queryParameter('dryRun')]),
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths };
}
