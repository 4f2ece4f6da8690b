import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { redactSecretFields, redactText } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  app: string;
  level: string;
  format: 'json' | 'pretty';
  /** Where JSON lines go instead of stdout (tests). */
  destination?: DestinationStream;
}

/**
 * The process's root logger: JSON lines for machines, or readable output for local runs. pino-pretty is a
 * development dependency, so a production image asked for pretty output falls back to JSON.
 *
 * No line carries a credential (see redact.ts): secret fields are replaced in the log object before pino
 * serialises it (`formatters.log`), and every finished line has URL passwords and secret assignments scrubbed
 * (`hooks.streamWrite`), which reaches what the object walk cannot: the message, child loggers' bindings, and
 * errors as pino's serializer writes them (message, stack, own fields such as `url`). The line is scrubbed before
 * any stream, pretty included, sees it.
 */
export async function createRootLogger(options: LoggerOptions): Promise<Logger> {
  const common: PinoOptions = {
    level: options.level,
    base: { app: options.app },
    formatters: { log: redactSecretFields },
    hooks: { streamWrite: redactText },
  };
  if (options.format === 'pretty') {
    const stream = await prettyStream();
    if (stream) return pino(common, stream);
  }
  const json = { ...common, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(json, options.destination) : pino(json);
}

async function prettyStream(): Promise<DestinationStream | undefined> {
  try {
    const pretty = (await import('pino-pretty')).default;
    return pretty({
      colorize: true,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app,context',
      messageFormat: '{app}{if context} [{context}]{end} {msg}',
    });
  } catch {
    return undefined;
  }
}

/** Routes Nest's own log lines (start-up, routes, errors) into the same structured log. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }

  error(message: unknown, traceOrContext?: string, context?: string): void {
    const trace = context ? traceOrContext : undefined;
    this.write('error', message, context ?? traceOrContext, trace);
  }

  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }

  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }

  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string, trace?: string): void {
    const fields = { context, ...(trace && { stack: trace }) };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
