import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

/** Where `npm run dev` serves the api (scripts/dev.ts, API_PORT's default). */
export const DEFAULT_API = 'http://localhost:3000';

export interface Settings {
  api: URL;
  token: string | undefined;
}

export interface SettingsSources {
  flags: { api?: string; token?: string };
  env: NodeJS.ProcessEnv;
  /** Where `.local` is looked for: the working directory, as `npm run dev` keeps it in the repository's root. */
  cwd: string;
}

/**
 * The api and the token: a flag, else CLOUD_WORKER_API / CLOUD_WORKER_TOKEN, else the local stack's (`npm run dev`
 * keeps its token in <LOCAL_DIR or .local>/token).
 */
export function resolveSettings({ flags, env, cwd }: SettingsSources): Settings {
  const text = flags.api || env.CLOUD_WORKER_API || DEFAULT_API;
  let api: URL;
  try {
    api = new URL(text);
  } catch {
    throw new CliError(`the api address "${text}" is not a URL (e.g. ${DEFAULT_API})`, ExitCode.USAGE);
  }
  if (api.protocol !== 'http:' && api.protocol !== 'https:') throw new CliError(`the api address "${text}" must be http:// or https://`, ExitCode.USAGE);
  const token = flags.token || env.CLOUD_WORKER_TOKEN || localToken(resolve(cwd, env.LOCAL_DIR ?? '.local', 'token'));
  return { api, token };
}

function localToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
