import type { ApiConfig } from '@app/config';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { isRole, type Caller, type Role } from './caller.js';

/** Why a token was refused: said to the caller in the 401. `invalidToken` marks a token given but bad. */
export class AuthenticationError extends Error {
  constructor(
    message: string,
    readonly invalidToken: boolean,
  ) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** The issuer's keys could not be had: not the caller's fault, so answered 503, not 401. */
export class KeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the OIDC provider's signing keys cannot be fetched (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'KeysUnavailableError';
  }
}

/**
 * A token that an unknown key signed makes jose fetch the key set again, at most once in this many ms: a rotated
 * key is accepted within seconds, and tokens with made-up key ids cannot make the api hammer the issuer.
 */
const JWKS_COOLDOWN_MS = 5_000;

export type OidcSettings = Pick<ApiConfig, 'OIDC_ISSUER' | 'OIDC_AUDIENCE' | 'OIDC_JWKS_URL' | 'OIDC_OWNER_CLAIM' | 'OIDC_ROLES_CLAIM'>;

/** JWTs of the configured OIDC issuer, checked with jose against the issuer's key set (cached, refetched on an unknown key). */
export class OidcTokens {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: OidcSettings & { OIDC_ISSUER: string; OIDC_JWKS_URL: string }) {
    this.keys = createRemoteJWKSet(new URL(settings.OIDC_JWKS_URL), { cooldownDuration: JWKS_COOLDOWN_MS });
  }

  /** The OIDC settings when an issuer is configured; none otherwise (JWTs are then refused). */
  static fromConfig(config: OidcSettings): OidcTokens | undefined {
    const { OIDC_ISSUER, OIDC_JWKS_URL } = config;
    return OIDC_ISSUER && OIDC_JWKS_URL ? new OidcTokens({ ...config, OIDC_ISSUER, OIDC_JWKS_URL }) : undefined;
  }

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.settings.OIDC_ISSUER, audience: this.settings.OIDC_AUDIENCE }));
    } catch (error) {
      throw refusal(error);
    }
    const owner = claimAt(payload, this.settings.OIDC_OWNER_CLAIM);
    if (typeof owner !== 'string' || owner === '') throw new AuthenticationError(`the token has no owner claim "${this.settings.OIDC_OWNER_CLAIM}"`, true);
    return { owner, roles: rolesOf(claimAt(payload, this.settings.OIDC_ROLES_CLAIM)) };
  }
}

/** A claim by its dotted path (`realm_access.roles`); a claim whose own name has dots is found first. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), payload);
}

/** The roles of a claim: a list or a space-separated string; names that are not cloud-worker roles are ignored. */
export function rolesOf(claim: unknown): Set<Role> {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  return new Set(names.filter(isRole));
}

function refusal(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new AuthenticationError('the token has expired', true);
  if (error instanceof errors.JWTClaimValidationFailed) return new AuthenticationError(`the token's "${error.claim}" claim is not accepted (${error.reason})`, true);
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthenticationError('the token is signed by a key the issuer does not publish', true);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthenticationError("the token's signature is not valid", true);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === errors.JOSEError.code) {
    return new KeysUnavailableError(error);
  }
  return new AuthenticationError(`the token is not a valid JWT (${error.message})`, true);
}
