import { ApiConfig } from '@app/config';
import { describeProblems, stringFieldOf, validateWorkRequest, type WorkRequest, type WorkRequestRules } from '@app/contracts';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { HttpStatus, Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiMetrics } from '../api.metrics.js';
import { InvalidInputException } from '../invalid-input.js';

/**
 * Validates a submitted body with `validateWorkRequest`, the rules the worker applies to AMQP messages. Not Nest's
 * ValidationPipe: those rules depend on the configuration (the time-outs, the records bucket, the image policy, the
 * resource caps) and apply defaults (`outputBucket` from `inputBucket`), which a DTO's decorators cannot, and one
 * rule set must serve both edges. Every refusal is audited.
 */
@Injectable()
export class WorkRequestPipe implements PipeTransform<unknown, WorkRequest> {
  private readonly rules: WorkRequestRules;

  constructor(
    @Inject(ApiConfig) config: ApiConfig,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.rules = config.workRequestRules;
  }

  transform(body: unknown): WorkRequest {
    const result = validateWorkRequest(body, this.rules);
    if (result.ok) return result.request;
    this.metrics.submissions.inc({ outcome: 'invalid' });
    audit(this.logger, {
      action: 'deny',
      owner: null,
      source: 'http',
      id: stringFieldOf(body, 'id'),
      image: stringFieldOf(body, 'image'),
      reason: describeProblems(result.problems),
      status: HttpStatus.BAD_REQUEST,
    });
    throw new InvalidInputException('work request', result.problems);
  }
}
