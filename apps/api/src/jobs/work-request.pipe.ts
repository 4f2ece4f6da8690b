import { ApiConfig } from '@app/config';
import { describeProblems, validateWorkRequest, type WorkRequest } from '@app/contracts';
import { BadRequestException, Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiMetrics } from '../api.metrics.js';

/** Validates a submitted body with the same rules the worker applies to AMQP messages. */
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
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: `Invalid work request: ${describeProblems(result.problems)}`,
      errors: result.problems,
    });
  }
}
