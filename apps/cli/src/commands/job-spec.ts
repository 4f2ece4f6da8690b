import { InvalidArgumentError, type Command } from 'commander';
import { RESOURCE_NAMES, type ResourceList, type ResourceName } from '../../../../libs/contracts/src/resource-names.js';
import type { EnvVar, RequestedResources } from '../../../../libs/contracts/src/work-request.js';

/** What a request may say of its Job besides the image and the buckets: resources, environment and arguments. */
export interface JobSpecFlags {
  env?: EnvVar[];
  requests?: ResourceList;
  limits?: ResourceList;
}

/** The fields of a work request the flags give (README, "Work requests"); none when no flag says anything. */
export function jobSpecFields(flags: JobSpecFlags, args: string[] = []): { resources?: RequestedResources; env?: EnvVar[]; args?: string[] } {
  const resources = { ...(flags.requests && { requests: flags.requests }), ...(flags.limits && { limits: flags.limits }) };
  return {
    ...(Object.keys(resources).length > 0 && { resources }),
    ...(flags.env && { env: flags.env }),
    ...(args.length > 0 && { args }),
  };
}

/** Adds --env, --requests and --limits to a command that submits work. */
export function jobSpecOptions(command: Command): Command {
  return command
    .option('--env <NAME=VALUE>', 'an environment variable for the job (repeat for more)', envVar)
    .option('--requests <cpu=Q,memory=Q>', 'the CPU and memory the job asks for, as Kubernetes quantities, e.g. cpu=500m,memory=1Gi', quantities)
    .option('--limits <cpu=Q,memory=Q>', 'the most CPU and memory the job may use, e.g. cpu=2,memory=4Gi', quantities);
}

/**
 * `--env NAME=VALUE`, repeatable: the variables in order. Only the form is checked here; the api checks the names
 * (and refuses those the worker sets itself) and names any it refuses.
 */
export function envVar(value: string, previous: EnvVar[] = []): EnvVar[] {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError('takes NAME=VALUE, e.g. --env MODE=fast');
  return [...previous, { name: value.slice(0, equals), value: value.slice(equals + 1) }];
}

/** `cpu=Q,memory=Q`: quantities by resource. The api checks the quantities themselves, and the caps. */
export function quantities(value: string): ResourceList {
  const list: ResourceList = {};
  for (const entry of value.split(',').map((part) => part.trim())) {
    const [name, quantity, ...rest] = entry.split('=') as [ResourceName, string?, ...string[]];
    if (!RESOURCE_NAMES.includes(name) || !quantity || rest.length > 0) throw new InvalidArgumentError(`"${entry}": give cpu=Q and/or memory=Q, e.g. cpu=500m,memory=1Gi`);
    if (name in list) throw new InvalidArgumentError(`${name} is given twice`);
    list[name] = quantity;
  }
  return list;
}
