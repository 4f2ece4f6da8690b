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

/** A value of the wrong type breaks every other rule too; only the type rule is reported then. */
const TYPE_RULES = ['isInt', 'isArray', 'isObject', 'isString', 'isStringRecord'];

function describe(error: ValidationError, given: Record<string, unknown>): string {
  const constraints = Object.entries(error.constraints ?? {});
  const typeRule = constraints.find(([rule]) => TYPE_RULES.includes(rule));
  const rules = [...new Set((typeRule ? [typeRule] : constraints).map(([, message]) => message))].join(', ');
  const value = given[error.property];
  return value === undefined ? rules : `${rules} (got ${JSON.stringify(value)})`;
}
