/**
 * Every setting of docs/operations.md, parsed and validated once at boot.
 *
 * Pure: `loadConfig(env)` takes an environment object so tests can build
 * configurations side by side without touching process.env. In production a
 * missing or weak secret throws a ConfigError whose message is one line naming
 * the variable; development gets safe per-process defaults instead.
 */
import { createPublicKey, KeyObject, randomBytes } from 'node:crypto';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface S3Config {
  bucket: string;
  /** Undefined: AWS's own endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  keyPrefix: string;
  sse: 'AES256' | 'aws:kms';
  sseKmsKeyId: string | undefined;
  presignTtlSeconds: number;
}

/** A public key a secret-scanning partner signs leak reports with (GitHub's published list). */
export interface LeakReportPublicKey {
  keyIdentifier: string;
  key: KeyObject;
  isCurrent: boolean;
}

export class AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  /** Undefined only outside production: main then starts the embedded database. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  /** A Redis command slower than this fails over to per-instance counting. */
  redisCommandTimeoutMs: number;
  apiKeyPepper: Buffer;
  /** Keys the audit chain's HMAC; kept out of the database so whoever can write the table cannot re-chain it. */
  auditHmacKey: Buffer;
  /** AES-256-GCM keys by id; `encryptionKeyId` names the one used for new ciphertexts. */
  encryptionKeys: Map<string, Buffer>;
  encryptionKeyId: string;
  jwtPrivateKey: string | undefined;
  jwtPreviousPublicKey: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  tokenTtlSeconds: number;
  throttleDefault: RateLimit;
  throttleUploads: RateLimit;
  throttleAuth: RateLimit;
  trustedProxies: string[];
  uploadDir: string;
  uploadMaxBytes: number;
  /** Where upload bytes live: the local disk (UPLOAD_DIR) or an S3-compatible bucket. */
  uploadStorage: 'local' | 's3';
  /** Set exactly when uploadStorage is s3. */
  s3: S3Config | undefined;
  jsonBodyLimitBytes: number;
  /** How long a client may take to send the request headers (server.headersTimeout). */
  httpHeadersTimeoutMs: number;
  /** How long a client may take to send the whole request, body included (server.requestTimeout): the slowest upload. */
  httpRequestTimeoutMs: number;
  webhooksAllowHttp: boolean;
  webhooksAllowPrivate: boolean;
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  /** Delivery loops in this process (0 = none: a separate `npm run worker` delivers). */
  webhookWorkers: number;
  /** Most deliveries in flight to one endpoint, across every worker: a dead endpoint holds no more slots than this. */
  webhookEndpointConcurrency: number;
  /** Most deliveries in flight for one organization's endpoints together, across every worker. */
  webhookOrgConcurrency: number;
  /** How often an idle delivery loop looks for due work. */
  webhookPollIntervalMs: number;
  /** Keys that may sign POST /v1/credential-leaks reports; empty = every report is refused. */
  leakReportPublicKeys: LeakReportPublicKey[];
  /** How often the key-expiry job looks for keys to notify about. */
  keyExpiryCheckIntervalMs: number;
  /** Security alerts (docs/credentials.md): the thresholds of each rule. */
  securityAlerts: {
    cooldownSeconds: number;
    /** Denied requests (401/403) for one organization within the window that raise an alert. */
    denials: RateLimit;
    /** Days an address stays "recent" for a key. */
    addressMemoryDays: number;
    /** A rotated key used this close to the end of its grace period raises an alert. */
    graceEndSeconds: number;
  };
  corsOrigins: string[];
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  logLevel: string;
  /** MUSICPUB_NODE_FLAGS: whether the server starts with the V8 flags of src/node-flags.ts (read there, before this). */
  nodeFlags: 'on' | 'off';
  /** Bearer token for GET /metrics; unset = no metrics route (404). */
  metricsToken: string | undefined;

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_BYTES = 32;

export function loadConfig(env: Env): AppConfig {
  const c = new AppConfig();
  c.nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'], 'development');
  const prod = c.nodeEnv === 'production';

  c.port = integer(env, 'PORT', 3000, 0, 65535);
  c.databaseUrl = blankToUndefined(env.DATABASE_URL);
  if (c.databaseUrl === undefined && prod) {
    throw new ConfigError('DATABASE_URL is required in production (the embedded database is for development only)');
  }
  if (c.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgresql:// connection URL');
  }
  c.databasePoolSize = integer(env, 'DATABASE_POOL_SIZE', 10, 1, 200);
  c.redisUrl = blankToUndefined(env.REDIS_URL);
  c.redisCommandTimeoutMs = integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 150, 10, 10_000);

  c.apiKeyPepper = secret(env, 'API_KEY_PEPPER', prod);
  c.auditHmacKey = secret(env, 'AUDIT_HMAC_KEY', prod);
  if (c.auditHmacKey.equals(c.apiKeyPepper)) {
    // One leaked secret must not give away both the key hashes and the audit chain.
    throw new ConfigError('AUDIT_HMAC_KEY must differ from API_KEY_PEPPER');
  }
  const encryption = encryptionKeys(env, prod);
  c.encryptionKeys = encryption.keys;
  c.encryptionKeyId = encryption.currentId;

  c.jwtPrivateKey = pem(env, 'JWT_PRIVATE_KEY', 'PRIVATE KEY');
  if (c.jwtPrivateKey === undefined && prod) {
    throw new ConfigError('JWT_PRIVATE_KEY is required in production (a PKCS#8 PEM EC P-256 or Ed25519 key)');
  }
  c.jwtPreviousPublicKey = pem(env, 'JWT_PREVIOUS_PUBLIC_KEY', 'PUBLIC KEY');
  c.jwtIssuer = blankToUndefined(env.JWT_ISSUER) ?? 'https://api.musicpub.local';
  c.jwtAudience = blankToUndefined(env.JWT_AUDIENCE) ?? 'musicpub-api';
  c.tokenTtlSeconds = integer(env, 'TOKEN_TTL_SECONDS', 900, 30, 900);

  c.throttleDefault = rateLimit(env, 'THROTTLE_DEFAULT', '600/60');
  c.throttleUploads = rateLimit(env, 'THROTTLE_UPLOADS', '30/60');
  c.throttleAuth = rateLimit(env, 'THROTTLE_AUTH', '20/60');
  c.trustedProxies = list(env.TRUSTED_PROXIES);

  c.uploadDir = blankToUndefined(env.UPLOAD_DIR) ?? './.data/uploads';
  c.uploadMaxBytes = integer(env, 'UPLOAD_MAX_BYTES', 2 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER);
  c.uploadStorage = oneOf(env, 'UPLOAD_STORAGE', ['local', 's3'], 'local');
  c.s3 = c.uploadStorage === 's3' ? s3Config(env) : undefined;
  c.jsonBodyLimitBytes = integer(env, 'JSON_BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 ** 2);
  c.httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 30_000, 1_000, 600_000);
  // One hour: a 2 GiB upload (the default limit) needs about 5 Mbit/s to fit.
  c.httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 3_600_000, 1_000, 24 * 3_600_000);
  if (c.httpHeadersTimeoutMs > c.httpRequestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }

  c.webhooksAllowHttp = bool(env, 'WEBHOOKS_ALLOW_HTTP', false);
  c.webhooksAllowPrivate = bool(env, 'WEBHOOKS_ALLOW_PRIVATE', false);
  c.webhookRetryScheduleMs = durations(env, 'WEBHOOK_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,10h');
  c.webhookTimeoutMs = integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000);
  c.webhookWorkers = integer(env, 'WEBHOOK_WORKERS', 1, 0, 32);
  c.webhookEndpointConcurrency = integer(env, 'WEBHOOK_ENDPOINT_CONCURRENCY', 16, 1, 1000);
  c.webhookOrgConcurrency = integer(env, 'WEBHOOK_ORG_CONCURRENCY', 32, 1, 10_000);
  c.webhookPollIntervalMs = integer(env, 'WEBHOOK_POLL_INTERVAL_MS', 250, 10, 60_000);

  c.leakReportPublicKeys = leakReportPublicKeys(env, 'LEAK_REPORT_PUBLIC_KEYS');
  c.keyExpiryCheckIntervalMs = integer(env, 'KEY_EXPIRY_CHECK_INTERVAL_MS', 60_000, 100, 86_400_000);
  c.securityAlerts = {
    cooldownSeconds: integer(env, 'SECURITY_ALERT_COOLDOWN_SECONDS', 3600, 1, 30 * 86_400),
    denials: rateLimit(env, 'SECURITY_ALERT_DENIALS', '20/300'),
    addressMemoryDays: integer(env, 'SECURITY_ALERT_ADDRESS_MEMORY_DAYS', 30, 1, 365),
    graceEndSeconds: integer(env, 'SECURITY_ALERT_GRACE_END_SECONDS', 3600, 1, 30 * 86_400),
  };

  c.corsOrigins = list(env.CORS_ORIGINS);
  c.tlsCertFile = blankToUndefined(env.TLS_CERT_FILE);
  c.tlsKeyFile = blankToUndefined(env.TLS_KEY_FILE);
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  c.logLevel = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, prod ? 'info' : 'info');
  c.nodeFlags = oneOf(env, 'MUSICPUB_NODE_FLAGS', ['on', 'off'], 'on');
  c.metricsToken = blankToUndefined(env.METRICS_TOKEN);
  // Long enough that guessing it online is hopeless (the route has no rate limit), and
  // limited to token68 characters (RFC 9110 §11.2) so it fits a Bearer header as is.
  if (c.metricsToken !== undefined && !/^[A-Za-z0-9._~+/=-]{32,512}$/.test(c.metricsToken)) {
    throw new ConfigError('METRICS_TOKEN must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)');
  }
  return c;
}

function s3Config(env: Env): S3Config {
  const bucket = blankToUndefined(env.S3_BUCKET);
  // Bucket naming rules (3–63 lowercase letters, digits, dots, hyphens).
  if (bucket === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError('S3_BUCKET is required with UPLOAD_STORAGE=s3 (a bucket name: 3-63 lowercase letters, digits, dots or hyphens)');
  }
  const endpoint = blankToUndefined(env.S3_ENDPOINT);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new ConfigError('S3_ENDPOINT must be an http:// or https:// URL');
  }
  const keyPrefix = env.S3_KEY_PREFIX?.trim() ?? '';
  if (!/^[A-Za-z0-9_./-]{0,200}$/.test(keyPrefix)) {
    throw new ConfigError('S3_KEY_PREFIX may hold only letters, digits, _ . / and - (at most 200)');
  }
  const sse = oneOf(env, 'S3_SSE', ['AES256', 'aws:kms'], 'AES256');
  const sseKmsKeyId = blankToUndefined(env.S3_SSE_KMS_KEY_ID);
  if (sseKmsKeyId !== undefined && sse !== 'aws:kms') {
    throw new ConfigError('S3_SSE_KMS_KEY_ID needs S3_SSE=aws:kms');
  }
  return {
    bucket,
    endpoint,
    region: blankToUndefined(env.S3_REGION) ?? 'us-east-1',
    forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', false),
    keyPrefix,
    sse,
    sseKmsKeyId,
    presignTtlSeconds: integer(env, 'S3_PRESIGN_TTL_SECONDS', 300, 1, 300),
  };
}

function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw.slice(0, 40)}")`);
  }
  return raw as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = blankToUndefined(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A secret given as base64, base64url or hex; random per process in development. */
function secret(env: Env, name: string, required: boolean): Buffer {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) {
    if (required) throw new ConfigError(`${name} is required in production (at least ${MIN_SECRET_BYTES} random bytes, base64 or hex)`);
    return randomBytes(MIN_SECRET_BYTES);
  }
  const bytes = decodeSecret(raw, name);
  if (bytes.length < MIN_SECRET_BYTES || new Set(bytes).size < 8) {
    throw new ConfigError(`${name} is too weak: use at least ${MIN_SECRET_BYTES} random bytes, base64 or hex encoded`);
  }
  return bytes;
}

/**
 * Hex or base64/base64url, strictly: Buffer's base64 decoder skips characters
 * it does not know, which would turn a typed passphrase into "random bytes".
 */
function decodeSecret(raw: string, name: string): Buffer {
  if (/^[0-9a-fA-F]+$/.test(raw) && raw.length % 2 === 0) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) return Buffer.from(raw, 'base64');
  throw new ConfigError(`${name} must be random bytes written as base64 or hex`);
}

/**
 * ENCRYPTION_KEY is `<id>:<base64 32 bytes>`, or several separated by commas
 * with the first one current, so the key can rotate while old ciphertexts
 * (which store their key id) stay readable. A bare key gets the id `k1`.
 */
function encryptionKeys(env: Env, required: boolean): { keys: Map<string, Buffer>; currentId: string } {
  const raw = blankToUndefined(env.ENCRYPTION_KEY);
  if (raw === undefined) {
    if (required) throw new ConfigError('ENCRYPTION_KEY is required in production (32 random bytes, base64 or hex)');
    return { keys: new Map([['dev', randomBytes(32)]]), currentId: 'dev' };
  }
  const keys = new Map<string, Buffer>();
  for (const entry of list(raw)) {
    const [id, value] = entry.includes(':') ? entry.split(':', 2) : ['k1', entry];
    if (keys.has(id)) {
      throw new ConfigError(`ENCRYPTION_KEY has two keys with the id "${id}"; give each key its own <id>:`);
    }
    const bytes = decodeSecret(value, 'ENCRYPTION_KEY');
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || bytes.length !== 32 || new Set(bytes).size < 8) {
      throw new ConfigError('ENCRYPTION_KEY must be 32 random bytes (base64 or hex), optionally as <id>:<key>, comma-separated for rotation');
    }
    keys.set(id, bytes);
  }
  return { keys, currentId: keys.keys().next().value as string };
}

function pem(env: Env, name: string, kind: string): string | undefined {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return undefined;
  // Environment files often carry PEMs on one line with literal "\n".
  const text = raw.replace(/\\n/g, '\n');
  if (!text.includes(`-----BEGIN ${kind}-----`)) {
    throw new ConfigError(`${name} must be a PEM "${kind}"`);
  }
  return text;
}

function rateLimit(env: Env, name: string, fallback: string): RateLimit {
  const raw = blankToUndefined(env[name]) ?? fallback;
  const match = /^(\d{1,7})\/(\d{1,6})$/.exec(raw);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new ConfigError(`${name} must look like <limit>/<seconds>, e.g. 600/60`);
  }
  return { limit: Number(match[1]), windowSeconds: Number(match[2]) };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durations(env: Env, name: string, fallback: string): number[] {
  const raw = blankToUndefined(env[name]) ?? fallback;
  const parts = list(raw).map((p) => /^(\d{1,7})(ms|s|m|h|d)$/.exec(p));
  if (parts.length === 0 || parts.length > 20 || parts.some((p) => p === null)) {
    throw new ConfigError(`${name} must be a comma-separated list of durations such as 5s,5m,2h`);
  }
  return parts.map((p) => Number(p![1]) * UNIT_MS[p![2]]);
}

/**
 * GitHub's secret-scanning key list as published (`{ public_keys: [{ key_identifier, key, is_current }] }`)
 * or just its array. Every key must be an EC P-256 public key in PEM: the
 * reports are ECDSA P-256 / SHA-256 signatures.
 */
function leakReportPublicKeys(env: Env, name: string): LeakReportPublicKey[] {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return [];
  const problem = `${name} must be JSON: { "public_keys": [{ "key_identifier", "key" (PEM, EC P-256), "is_current" }] } or that array`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(problem);
  }
  const entries = Array.isArray(parsed) ? parsed : (parsed as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(entries)) throw new ConfigError(problem);
  return entries.map((entry: unknown) => {
    const { key_identifier: keyIdentifier, key, is_current: isCurrent } = (entry ?? {}) as Record<string, unknown>;
    if (typeof keyIdentifier !== 'string' || !keyIdentifier || typeof key !== 'string') throw new ConfigError(problem);
    let object: KeyObject;
    try {
      object = createPublicKey(key.replace(/\\n/g, '\n'));
    } catch {
      throw new ConfigError(`${name}: the key "${keyIdentifier.slice(0, 80)}" is not a PEM public key`);
    }
    if (object.asymmetricKeyType !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError(`${name}: the key "${keyIdentifier.slice(0, 80)}" is not an EC P-256 key`);
    }
    return { keyIdentifier, key: object, isCurrent: isCurrent === true };
  });
}
