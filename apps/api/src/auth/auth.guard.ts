import { ApiConfig } from '@app/config';
import { audit, MetricsController, ROOT_LOGGER, type Logger } from '@app/observability';
import { ForbiddenException, Inject, Injectable, ServiceUnavailableException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Authenticator } from './authenticator.js';
import { PUBLIC, REQUIRED_ROLE } from './auth.decorators.js';
import { hasRole, type Caller, type Role } from './caller.js';
import { AuthenticationError, KeysUnavailableError } from './oidc-tokens.js';

export const REALM = 'cloud-worker';

/**
 * Every route needs a bearer token with the role it declares (`@RequiresRole`); a route that declares none needs
 * admin, so that a new endpoint is closed until it says otherwise. Open: `@Public()` routes (health) and /metrics
 * unless METRICS_REQUIRE_TOKEN. Each refusal is answered naming the problem and written to the audit trail.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const isMetrics = context.getClass() === MetricsController;
    if (isMetrics && !this.config.METRICS_REQUIRE_TOKEN) return true;
    const role: Role = isMetrics ? 'read' : (this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? 'admin');

    const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const response = context.switchToHttp().getResponse<Response>();
    const caller = await this.authenticate(request, response);
    if (!hasRole(caller, role)) {
      this.deny(request, caller.owner, 403, `missing role ${role}`);
      const held = [...caller.roles].join(', ') || 'none';
      throw new ForbiddenException(`This request needs the role "${role}" (or admin); the token of ${caller.owner} has ${held}`);
    }
    request.caller = caller;
    return true;
  }

  private async authenticate(request: Request, response: Response): Promise<Caller> {
    try {
      return await this.authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof KeysUnavailableError) {
        this.logger.error({ err: error }, 'cannot check a JWT');
        throw new ServiceUnavailableException(`Cannot check the token now: ${error.message}. Try again later.`);
      }
      if (!(error instanceof AuthenticationError)) throw error;
      const challenge = `Bearer realm="${REALM}"${error.invalidToken ? `, error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"` : ''}`;
      response.setHeader('WWW-Authenticate', challenge);
      this.deny(request, null, 401, error.message);
      throw new UnauthorizedException(error.message.charAt(0).toUpperCase() + error.message.slice(1));
    }
  }

  private deny(request: Request, owner: string | null, status: number, reason: string): void {
    audit(this.logger, { action: 'deny', owner, source: 'http', status, reason: `${request.method} ${request.path}: ${reason}` });
  }
}
