import { fieldProblems } from '@app/contracts';
import { isSecretKey, redactText } from '@app/observability';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment variables: ${problems.join('; ')}`);
    this.name = 'InvalidConfigurationError';
  }
}

/**
 * Reads a configuration class from the environment once, at start. Each property is named after its
 * environment variable and keeps its default when the variable is unset or empty; every bad variable is
 * named in one error.
 */
export function loadConfig<T extends object>(configClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new configClass() as Record<string, unknown>;
  const given = Object.fromEntries(Object.keys(defaults).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  const config = plainToInstance(configClass, given, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const sorted = [...errors].sort((a, b) => a.property.localeCompare(b.property));
    throw new InvalidConfigurationError(sorted.map((error) => describe(error, given)));
  }
  return config;
}

function describe(error: ValidationError, given: Record<string, unknown>): string {
  const rules = [...new Set(fieldProblems([error]).map((problem) => problem.message))].join(', ');
  const value = given[error.property];
  // The message goes to stderr, and so to the log store: a secret's value is never echoed, nor a URL's password.
  if (value === undefined || isSecretKey(error.property)) return rules;
  return `${rules} (got ${redactText(JSON.stringify(value))})`;
}
