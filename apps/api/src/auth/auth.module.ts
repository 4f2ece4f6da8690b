import { ApiConfig } from '@app/config';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard.js';
import { Authenticator } from './authenticator.js';
import { OidcTokens } from './oidc-tokens.js';
import { StaticTokens } from './static-tokens.js';
import { SubmitRateGuard } from './submit-rate.guard.js';

/**
 * Who may call the api: the static tokens (read and checked in `main.ts`, with the rest of the configuration)
 * and the OIDC issuer's JWTs, checked by a guard on every route.
 */
@Global()
@Module({})
export class AuthModule {
  static register(staticTokens: StaticTokens): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        Authenticator,
        { provide: OidcTokens, inject: [ApiConfig], useFactory: (config: ApiConfig) => OidcTokens.fromConfig(config) ?? null },
        { provide: StaticTokens, useValue: staticTokens },
        SubmitRateGuard,
      ],
      exports: [SubmitRateGuard],
    };
  }
}
