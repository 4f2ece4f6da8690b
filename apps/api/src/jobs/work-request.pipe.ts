import { ApiConfig } from '@app/config';
import { validateWorkRequest, type WorkRequest } from '@app/contracts';
import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiMetrics } from '../api.metrics.js';
import { InvalidInputException } from '../invalid-input.js';

/**
 * Validates a submitted body with `validateWorkRequest`, the rules the worker applies to AMQP messages. Not Nest's
 * ValidationPipe: those rules depend on the configuration (the longest and the default time-out) and apply defaults
 * (`outputBucket` from `inputBucket`), which a DTO's decorators cannot, and one rule set must serve both edges.
 */
@Injectable()
export class WorkRequestPipe implements PipeTransform<unknown, WorkRequest> {
  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
  ) {}

  transform(body: unknown): WorkRequest {
    const result = validateWorkRequest(body, this.config.timeOutLimits);
    if (result.ok) return result.request;
    this.metrics.submissions.inc({ outcome: 'invalid' });
    throw new InvalidInputException('work request', result.problems);
  }
}
