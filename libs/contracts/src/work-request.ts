import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { ImagePolicy } from './image-policy.js';
import { WorkRequestDto } from './work-request.dto.js';

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
    (a.prefix ?? null) === (b.prefix ?? null)
  );
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
}

export type WorkRequestValidation = { ok: true; request: WorkRequest } | { ok: false; problems: FieldProblem[] };

const FIELDS = ['image', 'jobName', 'inputBucket', 'outputBucket', 'timeOut', 'prefix', 'id'] as const;

/** Validates a work request from any edge (HTTP body, AMQP message) and applies the spec's defaults. */
export function validateWorkRequest(input: unknown, rules: WorkRequestRules): WorkRequestValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(body)', rule: 'object', message: 'the work request must be a JSON object' }] };
  }
  // Only the known fields are looked at, so unknown ones are ignored and cannot reach the Job.
  const known = Object.fromEntries(FIELDS.filter((field) => field in input).map((field) => [field, (input as Record<string, unknown>)[field]]));
  const dto = plainToInstance(WorkRequestDto, known);
  const problems = fieldProblems(validateSync(dto));
  const isValid = (field: string) => field in known && problems.every((p) => p.field !== field);
  if (isValid('timeOut') && dto.timeOut! > rules.timeOut.maxMinutes) {
    problems.push({ field: 'timeOut', rule: 'max', message: `timeOut must be at most ${rules.timeOut.maxMinutes} minutes` });
  }
  if (isValid('image')) problems.push(...rules.images.denials(dto.image).map((denial) => ({ field: 'image', ...denial })));
  for (const field of ['inputBucket', 'outputBucket'] as const) {
    if (isValid(field) && dto[field] === rules.recordsBucket) {
      problems.push({ field, rule: 'recordsBucket', message: `${field} must not be ${rules.recordsBucket}: it holds the job records (RECORDS_BUCKET)` });
    }
  }
  if (problems.length > 0) return { ok: false, problems: sortByField(problems) };
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
    },
  };
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

/** class-validator's errors as field problems, one per broken rule. */
export function fieldProblems(errors: ValidationError[]): FieldProblem[] {
  return errors.flatMap((error) => rootCauses(Object.entries(error.constraints ?? {})).map(([rule, message]) => ({ field: error.property, rule, message })));
}

/** A missing or mistyped value breaks every other rule too; report only that. */
const ROOT_CAUSE_RULES = ['isDefined', 'isString', 'isInt', 'isArray', 'isObject', 'isStringRecord'];

function rootCauses(constraints: [string, string][]): [string, string][] {
  const root = constraints.find(([rule]) => ROOT_CAUSE_RULES.includes(rule));
  return root ? [root] : constraints;
}

function sortByField(problems: FieldProblem[]): FieldProblem[] {
  const order = (field: string) => (FIELDS as readonly string[]).indexOf(field);
  return [...problems].sort((a, b) => order(a.field) - order(b.field));
}
