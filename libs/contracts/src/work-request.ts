import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { ImagePolicy } from './image-policy.js';
import { asQuantity, quantityValue } from './quantity.js';
import { RESOURCE_NAMES, type ResourceList, type ResourceName } from './resource-names.js';
import { WorkRequestDto, type ResourceListDto } from './work-request.dto.js';

export { RESOURCE_NAMES, type ResourceList, type ResourceName };

export interface RequestedResources {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface EnvVar {
  name: string;
  value: string;
}

/** A validated work request with its defaults applied. */
export interface WorkRequest {
  image: string;
  jobName: string;
  inputBucket: string;
  outputBucket: string;
  /** Minutes, never 0: the default has been applied. */
  timeOut: number;
  prefix?: string;
  id?: string;
  /** What the request says of the Job's resources; the worker's defaults fill in the rest. Absent when it says nothing. */
  resources?: RequestedResources;
  /** Added to the Job's environment after the worker's own; absent when empty. */
  env?: EnvVar[];
  /** The container's arguments; absent when empty. */
  args?: string[];
}

/** A request with its id settled: the client's, the message's, or a fresh one. */
export type IdentifiedRequest = WorkRequest & { id: string };

/** Whether two requests ask for the same work, so a second submission with the same id is a replay. */
export function sameWork(a: WorkRequest, b: WorkRequest): boolean {
  return (
    a.image === b.image &&
    a.jobName === b.jobName &&
    a.inputBucket === b.inputBucket &&
    a.outputBucket === b.outputBucket &&
    a.timeOut === b.timeOut &&
    (a.prefix ?? null) === (b.prefix ?? null) &&
    sameValue(a.resources, b.resources) &&
    sameValue(a.env, b.env) &&
    sameValue(a.args, b.args)
  );
}

/** Validated values are built in one key order, so their JSON is equal exactly when they are. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export interface FieldProblem {
  /** The field at fault, or `(body)` when the request as a whole is unusable. */
  field: string;
  /** The rule that was broken, e.g. `isDefined`, `bucketName`, `max`. */
  rule: string;
  message: string;
}

export interface TimeOutLimits {
  defaultMinutes: number;
  maxMinutes: number;
}

/** What a work request is checked against besides its own form: built once from the configuration. */
export interface WorkRequestRules {
  timeOut: TimeOutLimits;
  /** Where the job records live: never a request's input or output bucket, since a Job may write there. */
  recordsBucket: string;
  images: ImagePolicy;
  /** The administrator's caps on any request or limit (JOB_MAX_CPU, JOB_MAX_MEMORY); absent means no cap. */
  resourceCaps: ResourceList;
}

/** The configuration variable of each resource's cap, named in refusals. */
export const RESOURCE_CAP_VARIABLES = { cpu: 'JOB_MAX_CPU', memory: 'JOB_MAX_MEMORY' } as const satisfies Record<ResourceName, string>;

export type WorkRequestValidation = { ok: true; request: WorkRequest } | { ok: false; problems: FieldProblem[] };

const FIELDS = ['image', 'jobName', 'inputBucket', 'outputBucket', 'timeOut', 'prefix', 'id', 'resources', 'env', 'args'] as const;

/** Validates a work request from any edge (HTTP body, AMQP message) and applies the spec's defaults. */
export function validateWorkRequest(input: unknown, rules: WorkRequestRules): WorkRequestValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(body)', rule: 'object', message: 'the work request must be a JSON object' }] };
  }
  // Only the known fields are looked at, so unknown ones are ignored and cannot reach the Job.
  const known = Object.fromEntries(FIELDS.filter((field) => field in input).map((field) => [field, (input as Record<string, unknown>)[field]]));
  const dto = plainToInstance(WorkRequestDto, known);
  // Unknown fields inside resources and env are refused, not ignored: a resource asked for must not go unmet, nor
  // a variable read from a Secret (`valueFrom`) reach the Job.
  const problems = fieldProblems(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }));
  const isValid = (field: string) => field in known && problems.every((p) => topField(p.field) !== field);
  if (isValid('timeOut') && dto.timeOut! > rules.timeOut.maxMinutes) {
    problems.push({ field: 'timeOut', rule: 'max', message: `timeOut must be at most ${rules.timeOut.maxMinutes} minutes` });
  }
  if (isValid('image')) problems.push(...rules.images.denials(dto.image).map((denial) => ({ field: 'image', ...denial })));
  for (const field of ['inputBucket', 'outputBucket'] as const) {
    if (isValid(field) && dto[field] === rules.recordsBucket) {
      problems.push({ field, rule: 'recordsBucket', message: `${field} must not be ${rules.recordsBucket}: it holds the job records (RECORDS_BUCKET)` });
    }
  }
  if (isValid('resources')) problems.push(...resourceProblems(requestedResources(dto.resources), rules.resourceCaps));
  if (problems.length > 0) return { ok: false, problems: sortByField(problems) };
  const resources = requestedResources(dto.resources);
  return {
    ok: true,
    request: {
      image: dto.image,
      jobName: dto.jobName,
      inputBucket: dto.inputBucket,
      outputBucket: dto.outputBucket ?? dto.inputBucket,
      timeOut: dto.timeOut || rules.timeOut.defaultMinutes,
      ...(dto.prefix !== undefined && { prefix: dto.prefix }),
      ...(dto.id !== undefined && { id: dto.id.toLowerCase() }),
      ...(resources && { resources }),
      ...(dto.env?.length && { env: dto.env.map(({ name, value }) => ({ name, value })) }),
      ...(dto.args?.length && { args: dto.args }),
    },
  };
}

/** The resources a request gives, their quantities as strings, only the lists that say something. */
function requestedResources(given: { requests?: ResourceListDto; limits?: ResourceListDto } | undefined): RequestedResources | undefined {
  const list = (dto: ResourceListDto | undefined): ResourceList | undefined => {
    const entries = RESOURCE_NAMES.flatMap((name) => (dto?.[name] === undefined ? [] : [[name, asQuantity(dto[name])!] as const]));
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  };
  const requests = list(given?.requests);
  const limits = list(given?.limits);
  return requests || limits ? { ...(requests && { requests }), ...(limits && { limits }) } : undefined;
}

/** Every quantity within its cap, and every request within the limit given beside it. */
function resourceProblems(resources: RequestedResources | undefined, caps: ResourceList): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const name of RESOURCE_NAMES) {
    const cap = caps[name];
    for (const kind of ['requests', 'limits'] as const) {
      const quantity = resources?.[kind]?.[name];
      if (cap !== undefined && quantity !== undefined && quantityValue(quantity)! > quantityValue(cap)!) {
        const field = `resources.${kind}.${name}`;
        problems.push({ field, rule: 'max', message: `${field} must be at most ${cap} (${RESOURCE_CAP_VARIABLES[name]})` });
      }
    }
    const request = resources?.requests?.[name];
    const limit = resources?.limits?.[name];
    if (request !== undefined && limit !== undefined && quantityValue(request)! > quantityValue(limit)!) {
      const field = `resources.requests.${name}`;
      problems.push({ field, rule: 'requestWithinLimit', message: `${field} must be at most resources.limits.${name} (${limit})` });
    }
  }
  return problems;
}

/** A field of a request that may not have passed validation, when it is a string: for logs of a refusal. */
export function stringFieldOf(input: unknown, field: string): string | undefined {
  const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** One line naming every problem, for logs, dead-letter headers and error replies. */
export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => p.message).join('; ');
}

/**
 * class-validator's errors as field problems, one per broken rule. Nested fields are named by their path
 * (`resources.limits.cpu`, `env[2].name`) and their messages, which name no field, begin with it.
 */
export function fieldProblems(errors: ValidationError[], parent?: string): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent === undefined ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    const constraints = Object.entries(error.constraints ?? {});
    const own = rootCauses(constraints).map(([rule, message]) => ({
      field,
      rule,
      message: parent === undefined ? message : rule === 'whitelistValidation' ? `${field} is not a field of ${parent}` : `${field} ${message}`,
    }));
    // Inside a mistyped value (env given a string among its objects) there is nothing more worth saying.
    const mistyped = constraints.some(([rule]) => ROOT_CAUSE_RULES.includes(rule));
    return [...own, ...(mistyped ? [] : fieldProblems(error.children ?? [], field))];
  });
}

/** A missing or mistyped value breaks every other rule too; report only that. */
const ROOT_CAUSE_RULES = ['isDefined', 'isString', 'isInt', 'isArray', 'isObject', 'isStringRecord'];

function rootCauses(constraints: [string, string][]): [string, string][] {
  const root = constraints.find(([rule]) => ROOT_CAUSE_RULES.includes(rule));
  return root ? [root] : constraints;
}

/** The request's own field a problem is about: `resources` for `resources.limits.cpu`. */
function topField(field: string): string {
  return field.split(/[.[]/)[0]!;
}

function sortByField(problems: FieldProblem[]): FieldProblem[] {
  const order = (field: string) => (FIELDS as readonly string[]).indexOf(topField(field));
  return [...problems].sort((a, b) => order(a.field) - order(b.field));
}
