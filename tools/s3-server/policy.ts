/**
 * The part of IAM policy evaluation the S3 test server needs, as AWS documents it ("Policy evaluation logic",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) and MinIO applies
 * it ("Access Management", https://min.io/docs/minio/linux/administration/identity-access-management/policy-based-access-control.html):
 * an explicit Deny in any statement wins; otherwise a request is allowed only when a statement allows it; with no
 * matching statement it is denied (the implicit deny). A session policy (STS AssumeRole) narrows a user's
 * policy: both must allow ("Session policies" in the same document).
 *
 * Supported: `Effect`, `Action` and `Resource` (a string or a list, with `*` and `?` wildcards; actions compare
 * case-insensitively, resources exactly), and a `Condition` of StringEquals, StringNotEquals, StringLike or
 * StringNotLike on `s3:prefix` (the one condition key the Jobs' policies use). Anything else (`NotAction`,
 * `Principal`, other operators or keys) is refused when the policy is read: a policy element silently ignored
 * could allow more than its author meant.
 */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Partial<Record<ConditionOperator, Record<string, string | string[]>>>;
}

const CONDITION_OPERATORS = ['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike'] as const;
type ConditionOperator = (typeof CONDITION_OPERATORS)[number];
const CONDITION_KEYS = ['s3:prefix'];
const STATEMENT_ELEMENTS = ['Sid', 'Effect', 'Action', 'Resource', 'Condition'];

/** One request as the policy sees it: `s3:PutObject` on `arn:aws:s3:::bucket/key`, with its condition values. */
export interface AccessRequest {
  action: string;
  resource: string;
  /** Condition keys present in the request, e.g. `s3:prefix` of a listing. */
  context?: Record<string, string>;
}

/** Checks a policy document's shape and what it uses against what this evaluator supports; throws naming the problem. */
export function parsePolicy(input: unknown): PolicyDocument {
  const fail = (problem: string): never => {
    throw new Error(`unsupported policy: ${problem}`);
  };
  const document = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  if (typeof document !== 'object' || document === null || !Array.isArray((document as PolicyDocument).Statement)) fail('no Statement list');
  for (const [index, statement] of (document as PolicyDocument).Statement.entries()) {
    const where = `statement ${statement.Sid ?? index}`;
    const unknown = Object.keys(statement).filter((element) => !STATEMENT_ELEMENTS.includes(element));
    if (unknown.length > 0) fail(`${where} uses ${unknown.join(', ')}`);
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') fail(`${where} has Effect ${String(statement.Effect)}, not Allow or Deny`);
    for (const element of ['Action', 'Resource'] as const) {
      const values = list(statement[element]);
      if (values.length === 0 || values.some((value) => typeof value !== 'string')) fail(`${where} needs ${element} as a string or a list of strings`);
    }
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) fail(`${where} uses the condition operator ${operator}`);
      for (const key of Object.keys(keys ?? {})) if (!CONDITION_KEYS.includes(key)) fail(`${where} uses the condition key ${key}`);
    }
  }
  return document as PolicyDocument;
}

/** Whether the policies (a user's and, for temporary credentials, a session policy) all allow the request. */
export function isAllowed(request: AccessRequest, ...policies: PolicyDocument[]): boolean {
  return policies.every((policy) => decide(policy, request) === 'allow');
}

function decide(policy: PolicyDocument, request: AccessRequest): 'allow' | 'deny' {
  const matching = policy.Statement.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'deny';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allow' : 'deny';
}

function applies(statement: PolicyStatement, request: AccessRequest): boolean {
  return (
    list(statement.Action).some((pattern) => wildcard(pattern, 'i').test(request.action)) &&
    list(statement.Resource).some((pattern) => wildcard(pattern).test(request.resource)) &&
    conditionsHold(statement.Condition ?? {}, request.context ?? {})
  );
}

/** Every operator and key must hold; a key absent from the request fails the positive operators (as in IAM). */
function conditionsHold(condition: NonNullable<PolicyStatement['Condition']>, context: Record<string, string>): boolean {
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys ?? {}).every(([key, expected]) => {
      const value = context[key];
      const like = operator.endsWith('Like');
      const matches = value !== undefined && list(expected).some((pattern) => (like ? wildcard(pattern).test(value) : pattern === value));
      return operator.includes('Not') ? !matches : matches;
    }),
  );
}

function wildcard(pattern: string, flags = ''): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, flags);
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The Resource of a bucket (`arn:aws:s3:::bucket`) or of an object in it (`arn:aws:s3:::bucket/key`). */
export function s3Resource(bucket: string, key?: string): string {
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}
