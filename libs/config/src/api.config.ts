import { IsBoolean, IsDefined, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { KubeAccessConfig } from './kube-access.config.js';
import { ToBoolean, ToInteger } from './parsers.js';

/**
 * The api's configuration: what both apps share (MAX_REQUEST_BYTES included, as the worker applies it to
 * messages), and who may call it. Every endpoint but /health/* needs a bearer token: a static API token (from
 * AUTH_TOKENS_FILE or AUTH_TOKENS) or a JWT from the OIDC issuer. It reads the Jobs' pods and their logs itself
 * (KubeAccessConfig) to follow a log live.
 */
export class ApiConfig extends KubeAccessConfig {
  /**
   * A JSON file (usually a mounted Secret) listing the static API tokens, hashed:
   * `[{"name": "alice", "roles": ["submit", "read"], "sha256": "<hex of the token's SHA-256>"}]`.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'AUTH_TOKENS_FILE must be a file path' })
  AUTH_TOKENS_FILE?: string = undefined;

  /** The same list as AUTH_TOKENS_FILE, as a JSON value in the variable itself (from a Secret). */
  @IsOptional()
  @IsString()
  AUTH_TOKENS?: string = undefined;

  /** The OIDC issuer whose JWTs are accepted (`iss`); JWTs are refused when unset. */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true }, { message: 'OIDC_ISSUER must be an http:// or https:// URL' })
  OIDC_ISSUER?: string = undefined;

  /** The audience a JWT must name (`aud`); required with OIDC_ISSUER, so that tokens made for other apps are refused. */
  @ValidateIf((config: ApiConfig) => config.OIDC_ISSUER !== undefined || config.OIDC_AUDIENCE !== undefined)
  @IsDefined({ message: 'OIDC_AUDIENCE is required when OIDC_ISSUER is set' })
  @IsString()
  OIDC_AUDIENCE?: string = undefined;

  /** Where the issuer's signing keys are published (JWKS); required with OIDC_ISSUER. */
  @ValidateIf((config: ApiConfig) => config.OIDC_ISSUER !== undefined || config.OIDC_JWKS_URL !== undefined)
  @IsDefined({ message: 'OIDC_JWKS_URL is required when OIDC_ISSUER is set' })
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true }, { message: 'OIDC_JWKS_URL must be an http:// or https:// URL' })
  OIDC_JWKS_URL?: string = undefined;

  /** The claim that names a JWT's owner. */
  @IsString()
  @IsNotEmpty({ message: 'OIDC_OWNER_CLAIM must name a claim' })
  OIDC_OWNER_CLAIM = 'sub';

  /** The claim holding a JWT's roles (a list, or a space-separated string); a dotted path reaches into objects. */
  @IsString()
  @IsNotEmpty({ message: 'OIDC_ROLES_CLAIM must name a claim' })
  OIDC_ROLES_CLAIM = 'roles';

  /** Whether /metrics needs a token too; off by default, as Prometheus usually scrapes it from inside the cluster. */
  @ToBoolean()
  @IsBoolean({ message: 'METRICS_REQUIRE_TOKEN must be true or false' })
  METRICS_REQUIRE_TOKEN = false;

  /** Submissions one owner may make per minute; more are answered 429 with Retry-After. */
  @ToInteger()
  @IsInt({ message: 'SUBMIT_RATE_PER_MINUTE must be an integer' })
  @Min(1, { message: 'SUBMIT_RATE_PER_MINUTE must be at least 1' })
  SUBMIT_RATE_PER_MINUTE = 120;

  /** A comment line is sent on every open event stream this often, so that proxies and clients see it alive. */
  @ToInteger()
  @IsInt({ message: 'SSE_KEEPALIVE_SECONDS must be an integer' })
  @Min(1, { message: 'SSE_KEEPALIVE_SECONDS must be at least 1' })
  @Max(3600, { message: 'SSE_KEEPALIVE_SECONDS must be at most 3600' })
  SSE_KEEPALIVE_SECONDS = 15;

  /** The recent record changes the api keeps so that `GET /events` can resume from a `Last-Event-ID`. */
  @ToInteger()
  @IsInt({ message: 'SSE_REPLAY_EVENTS must be an integer' })
  @Min(0, { message: 'SSE_REPLAY_EVENTS must be 0 or more' })
  @Max(1_000_000, { message: 'SSE_REPLAY_EVENTS must be at most 1000000' })
  SSE_REPLAY_EVENTS = 10_000;

  /**
   * The largest file `PUT /files/{bucket}/{key}` takes, in bytes (default 5 GiB, S3's limit for a single PUT; the
   * api streams it in parts, so the size costs no memory). A larger body is refused with 413 and nothing is kept.
   */
  @ToInteger()
  @IsInt({ message: 'FILES_MAX_BYTES must be an integer' })
  @Min(1, { message: 'FILES_MAX_BYTES must be at least 1' })
  // An upload goes in parts of 8 MiB (ObjectStorage), and S3 takes at most 10,000 parts.
  @Max(10_000 * 8 * 1024 ** 2, { message: 'FILES_MAX_BYTES must be at most 83886080000 (80 GiB: 10,000 parts of 8 MiB)' })
  FILES_MAX_BYTES = 5 * 1024 ** 3;
}
