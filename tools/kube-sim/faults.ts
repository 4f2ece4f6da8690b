/**
 * Fault injection: the next N requests (of any kind, or those a matcher picks) fail with 500, hang, or stall
 * (answer 200 and then send nothing). (Watch drops, the 410 window and pausing live with their owners.)
 */

/** What a fault applies to: every field given must equal the request's (e.g. `{ verb: 'get', resource: 'pods', subresource: 'log' }`). */
export interface RequestMatcher {
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The parts of a request a matcher looks at (a `RequestRecord` has them). */
export type MatchableRequest = RequestMatcher;

export type FaultKind = 'fail' | 'hang' | 'stall';

interface Rule {
  kind: FaultKind;
  remaining: number;
  match: RequestMatcher;
}

const MATCHED_FIELDS = ['verb', 'resource', 'subresource', 'namespace', 'name'] as const;

export class RequestFaults {
  private rules: Rule[] = [];

  failNext(count: number, match: RequestMatcher = {}): void {
    this.add('fail', count, match);
  }

  hangNext(count: number, match: RequestMatcher = {}): void {
    this.add('hang', count, match);
  }

  stallNext(count: number, match: RequestMatcher = {}): void {
    this.add('stall', count, match);
  }

  /** Drops every fault not yet taken. */
  clear(): void {
    this.rules = [];
  }

  /** Faults injected and not yet taken by a request. */
  pending(): number {
    return this.rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  /** What to do with the request now arriving: a hang or stall wins over a failure, older rules before newer ones. */
  take(request: MatchableRequest): FaultKind | undefined {
    const rule = this.rules.find((r) => r.kind !== 'fail' && matches(r.match, request)) ?? this.rules.find((r) => r.kind === 'fail' && matches(r.match, request));
    if (!rule) return undefined;
    if (--rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.kind;
  }

  private add(kind: FaultKind, count: number, match: RequestMatcher): void {
    if (count > 0) this.rules.push({ kind, remaining: count, match: { ...match } });
  }
}

function matches(match: RequestMatcher, request: MatchableRequest): boolean {
  return MATCHED_FIELDS.every((field) => match[field] === undefined || match[field] === request[field]);
}
