import { InvalidConfigurationError, loadConfig } from './load-config.js';

/** For `main.ts`: a bad configuration stops the process at once with every problem named, before anything starts. */
export function loadConfigOrExit<T extends object>(configClass: new () => T): T {
  return exitOnInvalidConfiguration(() => loadConfig(configClass));
}

/** Runs a load that may throw InvalidConfigurationError (a file the configuration names, say); on one, exits as above. */
export function exitOnInvalidConfiguration<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof InvalidConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
