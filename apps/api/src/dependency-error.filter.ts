import { ArgumentsHost, Catch, HttpException, ServiceUnavailableException, type ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { S3Error } from 'minio';

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * An error from the S3 store (unreachable, or answering with an error) means the api cannot do its work right
 * now: answer 503 with a body that says so, rather than a bare 500. Everything else keeps Nest's handling.
 */
@Catch()
export class DependencyErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException || !isStoreFailure(error)) return super.catch(error, host);
    const cause = error instanceof Error ? error.message : String(error);
    super.catch(new ServiceUnavailableException(`The job store (S3) is not available: ${cause}. Try again later.`), host);
  }
}

function isStoreFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof S3Error || (typeof code === 'string' && NETWORK_ERRORS.has(code));
}
