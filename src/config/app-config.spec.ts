import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './app-config';

type Env = Record<string, string | undefined>;

const JWT_PRIVATE_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const JWT_PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

const PEPPER = randomBytes(32).toString('base64');
const AUDIT_KEY = randomBytes(32).toString('base64');
const ENCRYPTION = randomBytes(32);

/** A complete, valid production environment; each test breaks one thing. */
function production(overrides: Env = {}): Env {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://app:db-password-123@db.internal:5432/musicpub',
    API_KEY_PEPPER: PEPPER,
    AUDIT_HMAC_KEY: AUDIT_KEY,
    ENCRYPTION_KEY: ENCRYPTION.toString('base64'),
    JWT_PRIVATE_KEY: JWT_PRIVATE_PEM,
    ...overrides,
  };
}

/** The ConfigError loadConfig throws for `env` (fails the test if it does not throw one). */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted an environment it should refuse (${Object.keys(env).join(', ')})`);
}

/** One line, naming `variable`, and not echoing `secretValue` (nor a recognisable slice of it). */
function expectOneLineNaming(error: ConfigError, variable: string, secretValue?: string): void {
  expect(error.name).toBe('ConfigError');
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toContain(variable);
  if (secretValue !== undefined && secretValue.length > 0) {
    expect(error.message).not.toContain(secretValue);
    if (secretValue.length >= 16) expect(error.message).not.toContain(secretValue.slice(0, 12));
  }
}

describe('loadConfig in production', () => {
  it('accepts a complete production environment', () => {
    const config = loadConfig(production());
    expect(config.isProduction).toBe(true);
    expect(config.nodeEnv).toBe('production');
    expect(config.databaseUrl).toBe('postgresql://app:db-password-123@db.internal:5432/musicpub');
    expect(config.apiKeyPepper.equals(Buffer.from(PEPPER, 'base64'))).toBe(true);
    expect(config.encryptionKeys.get('k1')?.equals(ENCRYPTION)).toBe(true);
    expect(config.encryptionKeyId).toBe('k1');
    expect(config.jwtPrivateKey).toBe(JWT_PRIVATE_PEM.trim());
    expect(config.auditHmacKey.equals(Buffer.from(AUDIT_KEY, 'base64'))).toBe(true);
    expect(config.webhookEndpointConcurrency).toBe(16);
    expect(config.webhookOrgConcurrency).toBe(32);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('requires AUDIT_HMAC_KEY (%s)', (_label, value) => {
    expectOneLineNaming(configError(production({ AUDIT_HMAC_KEY: value })), 'AUDIT_HMAC_KEY');
  });

  it('rejects a weak AUDIT_HMAC_KEY, or the pepper reused as one, without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    expectOneLineNaming(configError(production({ AUDIT_HMAC_KEY: short })), 'AUDIT_HMAC_KEY', short);
    expectOneLineNaming(configError(production({ AUDIT_HMAC_KEY: PEPPER })), 'AUDIT_HMAC_KEY', PEPPER);
  });

  it('reads the webhook concurrency caps, within bounds', () => {
    expect(loadConfig(production({ WEBHOOK_ENDPOINT_CONCURRENCY: '4', WEBHOOK_ORG_CONCURRENCY: '8' }))).toMatchObject({ webhookEndpointConcurrency: 4, webhookOrgConcurrency: 8 });
    expectOneLineNaming(configError(production({ WEBHOOK_ENDPOINT_CONCURRENCY: '0' })), 'WEBHOOK_ENDPOINT_CONCURRENCY');
    expectOneLineNaming(configError(production({ WEBHOOK_ORG_CONCURRENCY: 'many' })), 'WEBHOOK_ORG_CONCURRENCY');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('requires DATABASE_URL (%s): the embedded database is development only', (_label, value) => {
    const error = configError(production({ DATABASE_URL: value }));
    expectOneLineNaming(error, 'DATABASE_URL');
    expect(error.message).toMatch(/production/);
  });

  it('rejects a DATABASE_URL that is not postgresql:// without echoing its password', () => {
    const error = configError(production({ DATABASE_URL: 'mysql://root:Tr0ub4dor-and-3@db:3306/app' }));
    expectOneLineNaming(error, 'DATABASE_URL', 'Tr0ub4dor-and-3');
    expect(error.message).not.toContain('mysql://');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('requires API_KEY_PEPPER (%s)', (_label, value) => {
    expectOneLineNaming(configError(production({ API_KEY_PEPPER: value })), 'API_KEY_PEPPER');
  });

  it.each([
    ['16 random bytes (base64)', randomBytes(16).toString('base64')],
    ['31 random bytes (hex)', randomBytes(31).toString('hex')],
    ['a short password', 'hunter2-hunter2'],
    ['32 zero bytes (hex)', '00'.repeat(32)],
    ['32 zero bytes (base64)', Buffer.alloc(32).toString('base64')],
    ['64 bytes of one repeated value', 'ab'.repeat(64)],
    ['a repeated word', 'changeme'.repeat(8)],
  ])('rejects a short or weak API_KEY_PEPPER: %s, without echoing it', (_label, value) => {
    const error = configError(production({ API_KEY_PEPPER: value }));
    expectOneLineNaming(error, 'API_KEY_PEPPER', value);
    expect(error.message).toMatch(/weak/);
  });

  it('rejects a plain-text passphrase as API_KEY_PEPPER (it is neither base64 nor hex), without echoing it', () => {
    // Buffer.from(…, 'base64') skips the spaces and decodes the letters, which
    // would turn a human sentence into a "36-byte" pepper.
    const passphrase = 'please change this pepper before going live in production';
    const error = configError(production({ API_KEY_PEPPER: passphrase }));
    expectOneLineNaming(error, 'API_KEY_PEPPER', passphrase);
  });

  it('accepts a 32-byte hex pepper and decodes it as hex', () => {
    const hex = randomBytes(32).toString('hex');
    expect(loadConfig(production({ API_KEY_PEPPER: hex })).apiKeyPepper.equals(Buffer.from(hex, 'hex'))).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('requires ENCRYPTION_KEY (%s)', (_label, value) => {
    expectOneLineNaming(configError(production({ ENCRYPTION_KEY: value })), 'ENCRYPTION_KEY');
  });

  it.each([
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['64 bytes (hex)', randomBytes(64).toString('hex')],
    ['32 zero bytes', Buffer.alloc(32).toString('base64')],
    ['a bad key id', `bad id!:${randomBytes(32).toString('base64')}`],
    ['an overlong key id', `${'k'.repeat(33)}:${randomBytes(32).toString('base64')}`],
    ['an empty key after the id', 'k2:'],
    ['one bad key in a rotation list', `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(16).toString('base64')}`],
  ])('rejects a bad ENCRYPTION_KEY: %s, without echoing it', (_label, value) => {
    const error = configError(production({ ENCRYPTION_KEY: value }));
    expectOneLineNaming(error, 'ENCRYPTION_KEY', value);
    // The key material of a valid-looking entry must not leak either.
    for (const part of value.split(/[,:]/)) if (part.length >= 16) expect(error.message).not.toContain(part);
  });

  it('requires JWT_PRIVATE_KEY', () => {
    const error = configError(production({ JWT_PRIVATE_KEY: undefined }));
    expectOneLineNaming(error, 'JWT_PRIVATE_KEY');
    expect(error.message).toMatch(/PEM/);
  });

  it.each([
    ['a random string', 'not-a-pem-but-a-long-secret-value-0123456789'],
    ['base64 DER without armour', randomBytes(64).toString('base64')],
    ['a public key', JWT_PUBLIC_PEM],
  ])('rejects a JWT_PRIVATE_KEY that is not a private-key PEM (%s), without echoing it', (_label, value) => {
    const error = configError(production({ JWT_PRIVATE_KEY: value }));
    expectOneLineNaming(error, 'JWT_PRIVATE_KEY', value);
  });

  it('accepts a PEM written on one line with literal \\n (as .env files carry it)', () => {
    const oneLine = JWT_PRIVATE_PEM.trim().replace(/\n/g, '\\n');
    expect(oneLine).not.toContain('\n');
    expect(loadConfig(production({ JWT_PRIVATE_KEY: oneLine })).jwtPrivateKey).toBe(JWT_PRIVATE_PEM.trim());
  });

  it('rejects a JWT_PREVIOUS_PUBLIC_KEY that is not a public-key PEM', () => {
    expectOneLineNaming(configError(production({ JWT_PREVIOUS_PUBLIC_KEY: 'garbage' })), 'JWT_PREVIOUS_PUBLIC_KEY');
    expect(loadConfig(production({ JWT_PREVIOUS_PUBLIC_KEY: JWT_PUBLIC_PEM })).jwtPreviousPublicKey).toBe(JWT_PUBLIC_PEM.trim());
  });

  it('reports the first problem only, as one line, when several secrets are missing', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toContain('DATABASE_URL');
  });
});

describe('loadConfig outside production', () => {
  it('starts from safe development defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.isProduction).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.apiKeyPepper).toHaveLength(32);
    expect(new Set(config.apiKeyPepper).size).toBeGreaterThan(8);
    expect(config.encryptionKeyId).toBe('dev');
    expect(config.encryptionKeys.get('dev')).toHaveLength(32);
    expect(config.jwtPrivateKey).toBeUndefined(); // TokenSigner generates one per process
    expect(config.tokenTtlSeconds).toBe(900);
    expect(config.throttleDefault).toEqual({ limit: 600, windowSeconds: 60 });
    expect(config.throttleUploads).toEqual({ limit: 30, windowSeconds: 60 });
    expect(config.throttleAuth).toEqual({ limit: 20, windowSeconds: 60 });
    expect(config.webhooksAllowHttp).toBe(false);
    expect(config.webhooksAllowPrivate).toBe(false);
    expect(config.webhookRetryScheduleMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(config.corsOrigins).toEqual([]);
    expect(config.trustedProxies).toEqual([]);
    expect(config.tlsCertFile).toBeUndefined();
    expect(config.tlsKeyFile).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('generates different development secrets each time (never a fixed, guessable default)', () => {
    const a = loadConfig({ NODE_ENV: 'test' });
    const b = loadConfig({ NODE_ENV: 'test' });
    expect(a.apiKeyPepper.equals(b.apiKeyPepper)).toBe(false);
    expect(a.encryptionKeys.get('dev')!.equals(b.encryptionKeys.get('dev')!)).toBe(false);
  });

  it('still validates secrets that are given, even in development', () => {
    expectOneLineNaming(configError({ API_KEY_PEPPER: '00'.repeat(32) }), 'API_KEY_PEPPER', '00'.repeat(32));
    expectOneLineNaming(configError({ ENCRYPTION_KEY: 'short' }), 'ENCRYPTION_KEY', 'short');
    expectOneLineNaming(configError({ JWT_PRIVATE_KEY: 'nope' }), 'JWT_PRIVATE_KEY', 'nope');
  });

  it('accepts a DATABASE_URL with either scheme', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).databaseUrl).toBe('postgres://u@h/db');
    expect(loadConfig({ DATABASE_URL: ' postgresql://u@h/db ' }).databaseUrl).toBe('postgresql://u@h/db');
  });

  it('parses lists, trimming blanks', () => {
    const config = loadConfig({ CORS_ORIGINS: ' https://a.example , ,https://b.example', TRUSTED_PROXIES: '10.0.0.0/8,loopback' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', 'loopback']);
  });
});

describe('loadConfig rejects malformed settings, naming them', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['DATABASE_POOL_SIZE', '0'],
    ['TOKEN_TTL_SECONDS', '3600'], // API guide: Authentication: lifetime ≤ 15 min
    ['TOKEN_TTL_SECONDS', '10'],
    ['UPLOAD_MAX_BYTES', '0'],
    ['WEBHOOK_TIMEOUT_MS', 'soon'],
    ['JSON_BODY_LIMIT_BYTES', '100kb'],
    ['HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['HTTP_REQUEST_TIMEOUT_MS', '1h'],
  ])('%s=%s', (name, value) => {
    expectOneLineNaming(configError({ [name]: value }), name);
  });

  it('keeps uploads on the local disk unless UPLOAD_STORAGE=s3, which needs a bucket', () => {
    expect(loadConfig({})).toMatchObject({ uploadStorage: 'local', s3: undefined });
    expectOneLineNaming(configError({ UPLOAD_STORAGE: 'gcs' }), 'UPLOAD_STORAGE');
    expectOneLineNaming(configError({ UPLOAD_STORAGE: 's3' }), 'S3_BUCKET');
    expectOneLineNaming(configError({ UPLOAD_STORAGE: 's3', S3_BUCKET: 'Not_A_Bucket' }), 'S3_BUCKET');
  });

  it('parses the S3 settings, with AES256 encryption and 5-minute URLs by default', () => {
    expect(loadConfig({ UPLOAD_STORAGE: 's3', S3_BUCKET: 'masters' }).s3).toEqual({
      bucket: 'masters',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
      keyPrefix: '',
      sse: 'AES256',
      sseKmsKeyId: undefined,
      presignTtlSeconds: 300,
    });
    const kms = loadConfig({
      UPLOAD_STORAGE: 's3',
      S3_BUCKET: 'masters',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: 'uploads/',
      S3_SSE: 'aws:kms',
      S3_SSE_KMS_KEY_ID: 'alias/masters',
      S3_PRESIGN_TTL_SECONDS: '60',
    }).s3;
    expect(kms).toMatchObject({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, keyPrefix: 'uploads/', sse: 'aws:kms', sseKmsKeyId: 'alias/masters', presignTtlSeconds: 60 });
  });

  it.each([
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_SSE', 'none'],
    ['S3_SSE_KMS_KEY_ID', 'alias/without-kms'],
    ['S3_PRESIGN_TTL_SECONDS', '301'],
    ['S3_PRESIGN_TTL_SECONDS', '0'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['S3_KEY_PREFIX', '../x?y'],
  ])('refuses %s=%s', (name, value) => {
    expectOneLineNaming(configError({ UPLOAD_STORAGE: 's3', S3_BUCKET: 'masters', [name]: value }), name);
  });

  it('MUSICPUB_NODE_FLAGS is on or off', () => {
    expect(loadConfig({}).nodeFlags).toBe('on');
    expect(loadConfig({ MUSICPUB_NODE_FLAGS: 'off' }).nodeFlags).toBe('off');
    expectOneLineNaming(configError({ MUSICPUB_NODE_FLAGS: 'no' }), 'MUSICPUB_NODE_FLAGS');
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expectOneLineNaming(configError({ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' }), 'HTTP_HEADERS_TIMEOUT_MS');
  });

  it.each(['THROTTLE_DEFAULT', 'THROTTLE_UPLOADS', 'THROTTLE_AUTH'])('%s must be <limit>/<seconds>', (name) => {
    for (const value of ['600', '600/', '/60', '0/60', '600/0', 'ten/60', '600/60/1', '-5/60', '600 / 60']) {
      const error = configError({ [name]: value });
      expectOneLineNaming(error, name);
      expect(error.message).toContain('<limit>/<seconds>');
    }
  });

  it('parses THROTTLE_* values', () => {
    const config = loadConfig({ THROTTLE_DEFAULT: '1000/1', THROTTLE_UPLOADS: '5/3600', THROTTLE_AUTH: ' 7/30 ' });
    expect(config.throttleDefault).toEqual({ limit: 1000, windowSeconds: 1 });
    expect(config.throttleUploads).toEqual({ limit: 5, windowSeconds: 3600 });
    expect(config.throttleAuth).toEqual({ limit: 7, windowSeconds: 30 });
  });

  it.each([',', '5', '5x', '5s,oops,5m', '5 s', '-5s', '1.5h', Array(21).fill('1s').join(',')])(
    'WEBHOOK_RETRY_SCHEDULE=%s',
    (value) => {
      expectOneLineNaming(configError({ WEBHOOK_RETRY_SCHEDULE: value }), 'WEBHOOK_RETRY_SCHEDULE');
    },
  );

  it.each(['WEBHOOKS_ALLOW_HTTP', 'WEBHOOKS_ALLOW_PRIVATE'])('%s must be a boolean', (name) => {
    for (const value of ['yes', 'no', 'on', '2', 'truthy']) expectOneLineNaming(configError({ [name]: value }), name);
  });

  it('reads LEAK_REPORT_PUBLIC_KEYS as GitHub publishes it (object or array) and refuses anything but EC P-256 PEMs', () => {
    const entry = { key_identifier: 'kid', key: JWT_PUBLIC_PEM.replace(/\n/g, '\\n'), is_current: true };
    const fromObject = loadConfig({ LEAK_REPORT_PUBLIC_KEYS: JSON.stringify({ public_keys: [entry] }) }).leakReportPublicKeys;
    expect(fromObject).toEqual([expect.objectContaining({ keyIdentifier: 'kid', isCurrent: true })]);
    expect(loadConfig({ LEAK_REPORT_PUBLIC_KEYS: JSON.stringify([entry]) }).leakReportPublicKeys).toHaveLength(1);
    expect(loadConfig({}).leakReportPublicKeys).toEqual([]);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const bad of ['{', '{"keys":[]}', JSON.stringify([{ key: JWT_PUBLIC_PEM }]), JSON.stringify([{ key_identifier: 'k', key: 'junk' }]), JSON.stringify([{ key_identifier: 'k', key: ed }])]) {
      expect(() => loadConfig({ LEAK_REPORT_PUBLIC_KEYS: bad })).toThrow(/LEAK_REPORT_PUBLIC_KEYS/);
    }
  });

  it('METRICS_TOKEN is optional, and when set at least 32 token characters (never echoed)', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    const token = randomBytes(32).toString('hex');
    expect(loadConfig({ METRICS_TOKEN: token }).metricsToken).toBe(token);
    for (const weak of ['short-token-1234', 'has spaces in it but is long enough to pass', `${'x'.repeat(40)}"`]) {
      expectOneLineNaming(configError({ METRICS_TOKEN: weak }), 'METRICS_TOKEN', weak);
    }
  });

  it('LOG_LEVEL must be a pino level', () => {
    const error = configError({ LOG_LEVEL: 'verbose' });
    expectOneLineNaming(error, 'LOG_LEVEL');
    expect(error.message).toContain('info');
  });

  it('NODE_ENV must be development, test or production', () => {
    for (const value of ['prod', 'Production', 'staging']) {
      const error = configError({ NODE_ENV: value });
      expectOneLineNaming(error, 'NODE_ENV');
      expect(error.message).toContain('production');
    }
  });

  it('does not echo an overlong bad value in full', () => {
    const error = configError({ LOG_LEVEL: 'x'.repeat(500) });
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('loadConfig value parsing', () => {
  it('accepts PORT 0 (a free port) and the edges of the range', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ PORT: ' 8080 ' }).port).toBe(8080);
  });

  it('parses booleans case-insensitively', () => {
    expect(loadConfig({ WEBHOOKS_ALLOW_HTTP: 'TRUE', WEBHOOKS_ALLOW_PRIVATE: '1' })).toMatchObject({
      webhooksAllowHttp: true,
      webhooksAllowPrivate: true,
    });
    expect(loadConfig({ WEBHOOKS_ALLOW_HTTP: 'false', WEBHOOKS_ALLOW_PRIVATE: '0' })).toMatchObject({
      webhooksAllowHttp: false,
      webhooksAllowPrivate: false,
    });
  });

  it('parses LOG_LEVEL and NODE_ENV', () => {
    expect(loadConfig({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(loadConfig({ LOG_LEVEL: 'debug', NODE_ENV: 'test' })).toMatchObject({ logLevel: 'debug', nodeEnv: 'test' });
  });

  it('parses WEBHOOK_RETRY_SCHEDULE durations into milliseconds', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5s,5m,2h' }).webhookRetryScheduleMs).toEqual([5_000, 300_000, 7_200_000]);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '250ms, 1d ,30m' }).webhookRetryScheduleMs).toEqual([250, 86_400_000, 1_800_000]);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5s,5m,30m,2h,5h,10h,10h' }).webhookRetryScheduleMs).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
  });

  it('requires TLS_CERT_FILE and TLS_KEY_FILE together', () => {
    for (const env of [{ TLS_CERT_FILE: '/etc/tls/cert.pem' }, { TLS_KEY_FILE: '/etc/tls/key.pem' }]) {
      const error = configError(env);
      expectOneLineNaming(error, 'TLS_CERT_FILE');
      expect(error.message).toContain('TLS_KEY_FILE');
    }
    expect(loadConfig({ TLS_CERT_FILE: '/etc/tls/cert.pem', TLS_KEY_FILE: '/etc/tls/key.pem' })).toMatchObject({
      tlsCertFile: '/etc/tls/cert.pem',
      tlsKeyFile: '/etc/tls/key.pem',
    });
  });
});

describe('ENCRYPTION_KEY rotation list', () => {
  const k = () => randomBytes(32);

  it('names a bare key k1', () => {
    const key = k();
    const config = loadConfig({ ENCRYPTION_KEY: key.toString('base64') });
    expect(config.encryptionKeyId).toBe('k1');
    expect([...config.encryptionKeys.keys()]).toEqual(['k1']);
    expect(config.encryptionKeys.get('k1')!.equals(key)).toBe(true);
  });

  it('accepts hex, base64 and base64url encodings', () => {
    const key = k();
    for (const encoded of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      expect(loadConfig({ ENCRYPTION_KEY: `a:${encoded}` }).encryptionKeys.get('a')!.equals(key)).toBe(true);
    }
  });

  it('keeps every key of a comma-separated list and makes the first one current', () => {
    const [k3, k2, k1] = [k(), k(), k()];
    const config = loadConfig({
      ENCRYPTION_KEY: ` k3:${k3.toString('base64')} , k2:${k2.toString('hex')},2024-old_1:${k1.toString('base64url')}`,
    });
    expect(config.encryptionKeyId).toBe('k3');
    expect([...config.encryptionKeys.keys()]).toEqual(['k3', 'k2', '2024-old_1']);
    expect(config.encryptionKeys.get('k3')!.equals(k3)).toBe(true);
    expect(config.encryptionKeys.get('k2')!.equals(k2)).toBe(true);
    expect(config.encryptionKeys.get('2024-old_1')!.equals(k1)).toBe(true);
  });

  it('refuses a list in which two keys share an id (the first would silently stop being current)', () => {
    // "NEW,OLD" without ids gives both the id k1; so does an id typed twice.
    const [newer, older] = [k(), k()];
    for (const value of [
      `${newer.toString('base64')},${older.toString('base64')}`,
      `k2:${newer.toString('base64')},k2:${older.toString('base64')}`,
    ]) {
      const error = configError({ ENCRYPTION_KEY: value });
      expectOneLineNaming(error, 'ENCRYPTION_KEY', newer.toString('base64'));
      expect(error.message).not.toContain(older.toString('base64'));
    }
  });
});
