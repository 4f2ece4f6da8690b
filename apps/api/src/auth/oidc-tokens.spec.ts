import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiConfig, InvalidConfigurationError, loadConfig } from '@app/config';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError, claimAt, OidcTokens, rolesOf } from './oidc-tokens.js';

describe('OIDC tokens', () => {
  it('reads claims by dotted path and roles from a list or a space-separated string', () => {
    const payload = { sub: 'alice', roles: ['read', 'viewer'], realm_access: { roles: 'submit cancel  other' }, 'cloud-worker.roles': ['admin'] };
    expect(claimAt(payload, 'sub')).toBe('alice');
    expect(claimAt(payload, 'realm_access.roles')).toBe('submit cancel  other');
    expect(claimAt(payload, 'cloud-worker.roles')).toEqual(['admin']);
    expect(claimAt(payload, 'realm_access.missing.roles')).toBeUndefined();
    expect(rolesOf(payload.roles)).toEqual(new Set(['read']));
    expect(rolesOf(payload.realm_access.roles)).toEqual(new Set(['submit', 'cancel']));
    expect(rolesOf(42)).toEqual(new Set());
  });

  it('refuses to start with an issuer but no key set or audience', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(ApiConfig, env);
        return [];
      } catch (error) {
        return (error as InvalidConfigurationError).problems;
      }
    };
    expect(problems({ OIDC_ISSUER: 'https://issuer.example' })).toEqual([
      expect.stringContaining('OIDC_AUDIENCE is required when OIDC_ISSUER is set'),
      expect.stringContaining('OIDC_JWKS_URL is required when OIDC_ISSUER is set'),
    ]);
    expect(problems({ OIDC_ISSUER: 'https://issuer.example', OIDC_AUDIENCE: 'cloud-worker', OIDC_JWKS_URL: 'https://issuer.example/jwks' })).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  describe('against a key set served over HTTP', () => {
    let server: Server;
    let key: CryptoKey;
    let jwk: JWK;
    let oidc: OidcTokens;
    const issuer = 'https://issuer.example';
    const sign = (claims: Record<string, unknown>, expiresIn: string | number = '5m', audience = 'cloud-worker') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime(expiresIn).sign(key);
    const refusal = (token: string) => oidc.verify(token).then(() => undefined, (error: unknown) => error as AuthenticationError);

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256');
      key = pair.privateKey;
      jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
      server = createServer((_request, response) => response.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      oidc = OidcTokens.fromConfig({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'cloud-worker', OIDC_JWKS_URL: jwksUrl, OIDC_OWNER_CLAIM: 'email', OIDC_ROLES_CLAIM: 'groups' })!;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('takes the owner and roles from the configured claims', async () => {
      expect(await oidc.verify(await sign({ sub: 'u-1', email: 'alice@example.org', groups: ['submit', 'read', 'staff'] }))).toEqual({
        owner: 'alice@example.org',
        roles: new Set(['submit', 'read']),
      });
    });

    it('refuses an expired token, another audience, and a token without the owner claim, saying which', async () => {
      expect((await refusal(await sign({ email: 'alice@example.org' }, Math.floor(Date.now() / 1000) - 60)))?.message).toBe('the token has expired');
      expect((await refusal(await sign({ email: 'alice@example.org' }, '5m', 'another-app')))?.message).toBe('the token\'s "aud" claim is not accepted (check_failed)');
      expect((await refusal(await sign({ sub: 'u-1' })))?.message).toBe('the token has no owner claim "email"');
    });

    it('refuses a token signed by a key the issuer does not publish', async () => {
      const stranger = await generateKeyPair('ES256');
      const forged = await new SignJWT({ email: 'mallory@example.org' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience('cloud-worker').setExpirationTime('5m').sign(stranger.privateKey);
      expect((await refusal(forged))?.message).toBe("the token's signature is not valid");
    });

    it('is not configured without an issuer', () => {
      expect(OidcTokens.fromConfig({ OIDC_OWNER_CLAIM: 'sub', OIDC_ROLES_CLAIM: 'roles' })).toBeUndefined();
    });
  });
});
