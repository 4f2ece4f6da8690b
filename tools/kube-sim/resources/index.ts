import { events } from './events.js';
import { jobs } from './jobs.js';
import { namespaces } from './namespaces.js';
import { pods } from './pods.js';
import { secrets } from './secrets.js';
import type { ResourceType } from './types.js';

export type { Propagation, ResourceType, Verb } from './types.js';

export const RESOURCE_TYPES: ResourceType[] = [namespaces, pods, events, secrets, jobs];

/** The resources the simulator serves, by plural name. */
export const resourceTypes = new Map(RESOURCE_TYPES.map((type) => [type.resource, type]));

export function resourceType(resource: string): ResourceType {
  const type = resourceTypes.get(resource);
  if (!type) throw new Error(`unknown resource ${resource}`);
  return type;
}

/** The type served at `/api/v1` or `/apis/<group>/<version>` under this plural name, if any. */
export function typeAt(group: string, version: string, resource: string): ResourceType | undefined {
  const type = resourceTypes.get(resource);
  return type && type.group === group && type.version === version ? type : undefined;
}

export function typeOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.apiVersion === apiVersion && type.kind === kind);
}
