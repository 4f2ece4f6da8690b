import { ApiConfig } from '@app/config';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { HttpException, HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Caller } from './caller.js';

/**
 * Submissions per owner per minute (SUBMIT_RATE_PER_MINUTE), counted in this api replica's memory: with N replicas
 * an owner may submit up to N times the rate. Runs after the AuthGuard, which names the owner.
 */
@Injectable()
export class SubmitRateGuard implements CanActivate {
  private readonly limiter: RateLimiterMemory;

  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new RateLimiterMemory({ points: config.SUBMIT_RATE_PER_MINUTE, duration: 60 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const owner = request.caller!.owner;
    try {
      await this.limiter.consume(owner);
      return true;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      audit(this.logger, { action: 'deny', owner, source: 'http', status: 429, reason: `over ${this.config.SUBMIT_RATE_PER_MINUTE} submissions per minute` });
      const message = `${owner} may submit ${this.config.SUBMIT_RATE_PER_MINUTE} requests per minute (SUBMIT_RATE_PER_MINUTE); try again in ${retryAfter} s`;
      throw new HttpException(HttpException.createBody(message, 'Too Many Requests', HttpStatus.TOO_MANY_REQUESTS), HttpStatus.TOO_MANY_REQUESTS);
    }
  }
}
