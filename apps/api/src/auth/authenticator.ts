import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from './caller.js';
import { AuthenticationError, OidcTokens } from './oidc-tokens.js';
import { StaticTokens } from './static-tokens.js';

/** Three dot-separated base64url parts: a compact JWS, which is what a JWT is on the wire. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Who a bearer token stands for: a static API token, else a JWT of the OIDC issuer (when one is configured). */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(StaticTokens) private readonly staticTokens: StaticTokens,
    @Inject(OidcTokens) private readonly oidc: OidcTokens | null,
  ) {}

  /** The caller named by an `Authorization` header; an AuthenticationError says why there is none. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (!authorization) throw new AuthenticationError('this request needs a bearer token in its Authorization header', false);
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) throw new AuthenticationError('the Authorization header must be the word Bearer, a space and the token', true);
    const token = match[1];
    const caller = this.staticTokens.find(token);
    if (caller) return caller;
    if (this.oidc && COMPACT_JWS.test(token)) return this.oidc.verify(token);
    throw new AuthenticationError('the bearer token is not valid', true);
  }
}
