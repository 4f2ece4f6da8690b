// Static API tokens for the local stack: `npm run dev`'s token for the local user, and the tests' tokens.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';

/** An entry of AUTH_TOKENS(_FILE): the token itself is never listed, only its SHA-256. */
export interface TokenListEntry {
  name: string;
  roles: string[];
  sha256: string;
}

export function tokenListEntry(name: string, roles: string[], token: string): TokenListEntry {
  return { name, roles, sha256: createHash('sha256').update(token).digest('hex') };
}

/** A new token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The token kept in `path` (mode 0600), made and written there when there is none yet, so that a restart keeps
 * the token a user has already copied.
 */
export async function keptToken(path: string): Promise<{ token: string; created: boolean }> {
  const kept = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (kept) {
    await chmod(path, 0o600);
    return { token: kept, created: false };
  }
  const token = newToken();
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { token, created: true };
}
