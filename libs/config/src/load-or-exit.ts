import { InvalidConfigurationError, loadConfig } from './load-config.js';

/** For `main.ts`: a bad configuration stops the process at once with every problem named, before anything starts. */
export function loadConfigOrExit<T extends object>(configClass: new () => T): T {
  try {
    return loadConfig(configClass);
  } catch (error) {
    if (!(error instanceof InvalidConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
