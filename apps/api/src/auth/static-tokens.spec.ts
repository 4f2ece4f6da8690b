import { describe, expect, it } from '@jest/globals';
import { InvalidConfigurationError } from '@app/config';
import { loadStaticTokens, parseTokenList, sha256Of, StaticTokens } from './static-tokens.js';

const hashOf = (token: string) => sha256Of(token).toString('hex');
const entry = (name: string, roles: unknown, sha256: unknown = hashOf(`${name}-token`)) => ({ name, roles, sha256 });
const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as InvalidConfigurationError).problems;
  }
  throw new Error('the list was accepted');
};

describe('static token list', () => {
  it('reads names, roles and hashes', () => {
    const [alice] = parseTokenList(JSON.stringify([entry('alice', ['submit', 'read'])]), 'AUTH_TOKENS');
    expect(alice).toEqual({ name: 'alice', roles: ['submit', 'read'], sha256: sha256Of('alice-token') });
  });

  it('names every entry at fault and what is wrong with it', () => {
    const list = [entry('alice', ['read']), entry('bob', ['read', 'writer']), entry('', ['read']), entry('carol', []), entry('dave', ['admin'], 'not-a-hash')];
    expect(problemsOf(() => parseTokenList(JSON.stringify(list), 'AUTH_TOKENS_FILE'))).toEqual([
      'AUTH_TOKENS_FILE entry 2 ("bob"): unknown role "writer" (roles are submit, read, cancel, admin)',
      'AUTH_TOKENS_FILE entry 3 (""): name must be 1 to 128 letters, digits or _ . @ : -',
      'AUTH_TOKENS_FILE entry 4 ("carol"): roles must be a non-empty list of submit, read, cancel, admin',
      'AUTH_TOKENS_FILE entry 5 ("dave"): sha256 must be the 64 hex digits of the token\'s SHA-256 (printf %s "$TOKEN" | sha256sum)',
    ]);
  });

  it('refuses what is not a JSON list', () => {
    expect(problemsOf(() => parseTokenList('{"name": "alice"}', 'AUTH_TOKENS'))).toEqual(['AUTH_TOKENS must be a JSON list of {"name", "roles", "sha256"} entries']);
    expect(problemsOf(() => parseTokenList('[{', 'AUTH_TOKENS'))[0]).toMatch(/^AUTH_TOKENS is not JSON/);
  });

  it('joins the file and the variable, refusing a name or a hash listed twice', () => {
    const files: Record<string, string> = { '/secret/tokens.json': JSON.stringify([entry('alice', ['read'])]) };
    const readFile = (path: string) => files[path] ?? (() => { throw new Error(`ENOENT: ${path}`); })();
    const both = loadStaticTokens({ AUTH_TOKENS_FILE: '/secret/tokens.json', AUTH_TOKENS: JSON.stringify([entry('bob', ['submit'])]) }, readFile);
    expect(both.map((token) => token.name)).toEqual(['alice', 'bob']);
    expect(problemsOf(() => loadStaticTokens({ AUTH_TOKENS_FILE: '/secret/tokens.json', AUTH_TOKENS: JSON.stringify([entry('alice', ['submit'], hashOf('other'))]) }, readFile))).toEqual([
      'token name "alice" is listed twice',
    ]);
    expect(problemsOf(() => loadStaticTokens({ AUTH_TOKENS: JSON.stringify([entry('alice', ['read']), entry('eve', ['read'], hashOf('alice-token'))]) }))).toEqual([
      'token "eve" has the same hash as another entry',
    ]);
    expect(problemsOf(() => loadStaticTokens({ AUTH_TOKENS_FILE: '/secret/missing.json' }, readFile))).toEqual([
      'AUTH_TOKENS_FILE /secret/missing.json cannot be read (ENOENT: /secret/missing.json)',
    ]);
  });

  it('finds the caller of a token by its hash, and nobody for any other token', () => {
    const tokens = new StaticTokens(parseTokenList(JSON.stringify([entry('alice', ['submit', 'read']), entry('bob', ['admin'])]), 'AUTH_TOKENS'));
    expect(tokens.find('alice-token')).toEqual({ owner: 'alice', roles: new Set(['submit', 'read']) });
    expect(tokens.find('bob-token')?.owner).toBe('bob');
    expect(tokens.find('alice-token ')).toBeUndefined();
    expect(tokens.find(hashOf('alice-token'))).toBeUndefined();
  });
});
