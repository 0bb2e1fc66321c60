import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '../config/app-config';
import { startEmbeddedPostgres } from '../platform/database/embedded-postgres';
import { applyMigrations } from '../platform/database/migrations/migration-applier';
import { OrganizationBootstrap } from '../modules/api-keys/organization-bootstrap.service';
import { PartnersService } from '../modules/partners/partners.service';
import { CliModule } from './cli.module';
import { applyDevelopmentSecrets } from '../config/development-secrets';

/**
 * `npm run cli -- <command> [options]`: operator commands on the same Nest
 * modules the API uses (no unauthenticated HTTP endpoint creates organizations
 * or keys, API guide: API keys and rotation).
 */
const USAGE = `usage: npm run cli -- <command> [options]
  db:migrate                           apply prisma/migrations to DATABASE_URL
  org:create --name <name> [--json]    create an organization and its first API key (every scope)
  partner:create --org <orgId> --name <name> [--json]
                                       create a delivery partner and print its callback signing secret (once)
  partner:rotate-secret --partner <partnerId> [--grace-seconds <n>] [--json]
                                       give a partner a new secret (printed once); the old one keeps
                                       verifying for the grace period (default 86400 s, 0 = stop now)`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (existsSync('.env')) process.loadEnvFile('.env');
  applyDevelopmentSecrets(process.env);
  const config = loadConfig(process.env);
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres();
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  try {
    switch (command) {
      case 'db:migrate': {
        const result = await applyMigrations({ connectionString: databaseUrl, log: (line) => console.log(line) });
        console.log(`${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied.`);
        return;
      }
      case 'org:create': {
        const { values } = parseOptions(rest, { name: { type: 'string' }, json: { type: 'boolean', default: false } });
        if (!values.name) throw new UsageError('org:create needs --name "<organization name>"');
        if (embedded?.owned) await applyMigrations({ connectionString: databaseUrl });
        await withApp(databaseUrl, async (get) => {
          const created = await get(OrganizationBootstrap).createOrganization(values.name!);
          print(
            values.json,
            created,
            `Created organization ${created.orgId}.\nIts first API key (${created.keyId}, every scope) is shown once; store it now:\n${created.key}`,
          );
        });
        return;
      }
      case 'partner:create': {
        const { values } = parseOptions(rest, { org: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean', default: false } });
        if (!values.org || !values.name) throw new UsageError('partner:create needs --org <orgId> and --name "<partner name>"');
        if (embedded?.owned) await applyMigrations({ connectionString: databaseUrl });
        await withApp(databaseUrl, async (get) => {
          const created = await get(PartnersService).create(values.org!, values.name!);
          print(
            values.json,
            created,
            `Created partner ${created.partnerId}.\nIts callback signing secret is shown once; store it now:\n${created.secret}`,
          );
        });
        return;
      }
      case 'partner:rotate-secret': {
        const { values } = parseOptions(rest, { partner: { type: 'string' }, 'grace-seconds': { type: 'string' }, json: { type: 'boolean', default: false } });
        if (!values.partner) throw new UsageError('partner:rotate-secret needs --partner <partnerId>');
        const graceText = values['grace-seconds'];
        if (graceText !== undefined && !/^\d{1,7}$/.test(graceText)) throw new UsageError('--grace-seconds must be a whole number of seconds');
        if (embedded?.owned) await applyMigrations({ connectionString: databaseUrl });
        await withApp(databaseUrl, async (get) => {
          const rotated = await get(PartnersService).rotateSecret(values.partner!, graceText === undefined ? undefined : Number(graceText));
          print(
            values.json,
            rotated,
            `Rotated the secret of partner ${rotated.partnerId}. The new secret is shown once; store it now:\n${rotated.secret}\n` +
              (rotated.previousSecretExpiresAt ? `The previous secret keeps verifying until ${rotated.previousSecretExpiresAt}.` : 'The previous secret no longer verifies.'),
          );
        });
        return;
      }
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } finally {
    await embedded?.stop();
  }
}

/** parseArgs, with its complaints (unknown option, missing value) turned into usage errors. */
function parseOptions<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((error as Error).message);
    throw error;
  }
}

type Getter = <T>(token: new (...args: never[]) => T) => T;

async function withApp(databaseUrl: string, work: (get: Getter) => Promise<void>): Promise<void> {
  const app = await NestFactory.createApplicationContext(CliModule.forRoot({ DATABASE_URL: databaseUrl }), { logger: ['error'] });
  try {
    await work((token) => app.get(token));
  } finally {
    await app.close();
  }
}

function print(json: boolean | undefined, data: Record<string, unknown>, human: string): void {
  console.log(json ? JSON.stringify(data) : human);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
    else if (error instanceof ConfigError) console.error(`musicpub: configuration error: ${error.message}`);
    else console.error(`musicpub: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
