// The users the bundled RabbitMQ loads at boot: the definitions its init container writes from the ConfigMap's
// template and the users' Secrets, read by running that container's script here.
import { containerNamed, runContainerLocally, type LocalRun, type RunOptions } from './run-container.js';
import type { Release } from './release.js';

export type Operation = 'configure' | 'write' | 'read';

export type Permissions = Record<Operation, string>;

export interface BrokerDefinitions {
  users: Array<{ name: string; password: string; tags: string[] }>;
  vhosts: Array<{ name: string }>;
  permissions: Array<Permissions & { user: string; vhost: string }>;
}

export const DEFINITIONS_CONTAINER = 'definitions';

/** Runs the init container; `definitions` is undefined when its script fails (see `run.stderr`). */
export function brokerDefinitions(release: Release, options: RunOptions): { run: LocalRun; definitions?: BrokerDefinitions } {
  const found = containerNamed(release, DEFINITIONS_CONTAINER);
  if (!found) throw new Error(`the render has no ${DEFINITIONS_CONTAINER} init container`);
  const file = found.container.env?.find((variable) => variable.name === 'DEFINITIONS_FILE')?.value;
  if (!file) throw new Error('the definitions init container names no DEFINITIONS_FILE');
  const run = runContainerLocally(release, found.workload, found.container, options);
  try {
    return { run, definitions: run.status === 0 ? (JSON.parse(run.readFile(file)) as BrokerDefinitions) : undefined };
  } finally {
    run.cleanup();
  }
}

/** A user's permissions on a vhost, as the definitions grant them. */
export function permissionsOf(definitions: BrokerDefinitions, user: string, vhost = '/'): Permissions {
  const found = definitions.permissions.filter((grant) => grant.user === user && grant.vhost === vhost);
  if (found.length !== 1) throw new Error(`the definitions grant ${user} on ${vhost} ${found.length} times`);
  return found[0];
}

/** Whether a permission (a regular expression RabbitMQ matches against a whole resource name) covers a name. */
export function allows(permissions: Permissions, operation: Operation, resource: string): boolean {
  return new RegExp(permissions[operation]).test(resource);
}
