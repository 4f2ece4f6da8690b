import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { ErrorDto } from '../jobs/dto/job-record.dto.js';
import type { Caller, Role } from './caller.js';

export const PUBLIC = 'cloud-worker:public';
export const REQUIRED_ROLE = 'cloud-worker:required-role';

/** Needs no token (health checks). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Needs a bearer token with this role (or admin); documented as such in the OpenAPI document. */
export function RequiresRole(role: Role): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiBearerAuth(),
    ApiResponse({ status: 401, type: ErrorDto, description: 'No bearer token, or one that is not valid or has expired (`WWW-Authenticate: Bearer`).' }),
    ApiResponse({ status: 403, type: ErrorDto, description: `The token lacks the role \`${role}\` (or \`admin\`).` }),
  );
}

/** The request's caller, as the AuthGuard found it. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<{ caller?: Caller }>().caller;
  if (!caller) throw new Error('no caller: the route is public, or the AuthGuard did not run');
  return caller;
});
