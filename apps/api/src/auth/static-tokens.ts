import { ApiConfig, InvalidConfigurationError } from '@app/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isRole, ROLES, type Caller, type Role } from './caller.js';

/** One static API token, as listed in AUTH_TOKENS(_FILE): only its SHA-256 is known. */
export interface StaticToken {
  name: string;
  roles: Role[];
  sha256: Buffer;
}

const OWNER_NAME = /^[\w.@:-]{1,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Reads a token list (`[{"name", "roles", "sha256"}]`), naming every entry at fault and what is wrong with it.
 * `source` names where the list came from in those messages.
 */
export function parseTokenList(json: string, source: string): StaticToken[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch (error) {
    throw new InvalidConfigurationError([`${source} is not JSON (${(error as Error).message})`]);
  }
  if (!Array.isArray(list)) throw new InvalidConfigurationError([`${source} must be a JSON list of {"name", "roles", "sha256"} entries`]);
  const problems: string[] = [];
  const tokens: StaticToken[] = [];
  list.forEach((entry: unknown, index) => {
    const { name, roles, sha256 } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const label = `${source} entry ${index + 1}${typeof name === 'string' ? ` ("${name}")` : ''}`;
    const faults: string[] = [];
    if (typeof name !== 'string' || !OWNER_NAME.test(name)) faults.push('name must be 1 to 128 letters, digits or _ . @ : -');
    if (!Array.isArray(roles) || roles.length === 0) faults.push(`roles must be a non-empty list of ${ROLES.join(', ')}`);
    else for (const role of roles.filter((role) => !isRole(role))) faults.push(`unknown role ${JSON.stringify(role)} (roles are ${ROLES.join(', ')})`);
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) faults.push('sha256 must be the 64 hex digits of the token\'s SHA-256 (printf %s "$TOKEN" | sha256sum)');
    if (faults.length > 0) problems.push(`${label}: ${faults.join(', ')}`);
    else tokens.push({ name: name as string, roles: roles as Role[], sha256: Buffer.from(sha256 as string, 'hex') });
  });
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return tokens;
}

/** The static tokens of AUTH_TOKENS_FILE and AUTH_TOKENS together; a name or hash listed twice is refused. */
export function loadStaticTokens(config: Pick<ApiConfig, 'AUTH_TOKENS_FILE' | 'AUTH_TOKENS'>, readFile = (path: string) => readFileSync(path, 'utf8')): StaticToken[] {
  const tokens: StaticToken[] = [];
  if (config.AUTH_TOKENS_FILE) {
    let text: string;
    try {
      text = readFile(config.AUTH_TOKENS_FILE);
    } catch (error) {
      throw new InvalidConfigurationError([`AUTH_TOKENS_FILE ${config.AUTH_TOKENS_FILE} cannot be read (${(error as Error).message})`]);
    }
    tokens.push(...parseTokenList(text, 'AUTH_TOKENS_FILE'));
  }
  if (config.AUTH_TOKENS) tokens.push(...parseTokenList(config.AUTH_TOKENS, 'AUTH_TOKENS'));
  const problems: string[] = [];
  tokens.forEach((token, index) => {
    const earlier = tokens.slice(0, index);
    if (earlier.some((other) => other.name === token.name)) problems.push(`token name "${token.name}" is listed twice`);
    else if (earlier.some((other) => other.sha256.equals(token.sha256))) problems.push(`token "${token.name}" has the same hash as another entry`);
  });
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return tokens;
}

export function sha256Of(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The static tokens, kept as hashes; a token is found by comparing its hash with each in constant time. */
export class StaticTokens {
  constructor(private readonly tokens: readonly StaticToken[]) {}

  get size(): number {
    return this.tokens.length;
  }

  /** The caller a token stands for, or undefined when it is none of the list. */
  find(token: string): Caller | undefined {
    const hash = sha256Of(token);
    let found: StaticToken | undefined;
    // Every entry is compared, so the time taken says nothing about which one matched.
    for (const entry of this.tokens) if (timingSafeEqual(hash, entry.sha256) && !found) found = entry;
    return found && { owner: found.name, roles: new Set(found.roles) };
  }
}
