// A fingerprint of every table's contents, to prove that a refused request
// changed nothing: not only no row added or removed, but no column of any row
// rewritten. Tables are listed from the catalog, so a table added later is
// covered without touching this file.
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import type { TestApp } from './test-app';

export interface FingerprintOptions {
  /** Tables that refusals legitimately write (the audit trail records every refusal, API guide: Audit trail). */
  exclude?: readonly string[];
  /** Columns written in the background, whatever the request's outcome (table → columns). */
  volatile?: Readonly<Record<string, readonly string[]>>;
  /** Rows that monitoring writes whatever the request's outcome (table → SQL condition selecting them). */
  monitoring?: Readonly<Record<string, string>>;
}

export const DEFAULT_FINGERPRINT: Required<FingerprintOptions> = {
  // Besides the audit trail: the addresses each key was seen from and the alert
  // cooldowns, which security alerts keep for every request, refused or not.
  exclude: ['audit_events', 'audit_chain_heads', '_prisma_migrations', 'api_key_addresses', 'security_alert_cooldowns'],
  // lastUsedAt: the last-use tracker writes it after any authenticated request.
  volatile: { api_keys: ['last_used_at'] },
  // A burst of refusals is itself worth an alert (docs/credentials.md): its event is not the request's change.
  monitoring: { outbox_events: `type = 'security.alert'` },
};

export type Fingerprint = Record<string, { rows: number; digest: string }>;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Each app's fingerprints go through one connection of their own, as a named
 * prepared statement: planning the UNION of every table costs about five
 * times what running it does, and the fuzzing suite takes a fingerprint
 * after every write it sends.
 */
const fingerprinters = new WeakMap<TestApp, Promise<Client>>();

function fingerprinter(t: TestApp): Promise<Client> {
  let client = fingerprinters.get(t);
  if (!client) {
    const connection = new Client({ connectionString: t.database.url });
    client = connection.connect().then(() => connection);
    fingerprinters.set(t, client);
    t.onClose(() => connection.end());
  }
  return client;
}

export async function tableFingerprint(t: TestApp, options: FingerprintOptions = {}): Promise<Fingerprint> {
  const exclude = new Set(options.exclude ?? DEFAULT_FINGERPRINT.exclude);
  const volatile = options.volatile ?? DEFAULT_FINGERPRINT.volatile;
  const monitoring = options.monitoring ?? DEFAULT_FINGERPRINT.monitoring;
  const client = await fingerprinter(t);
  const tables = (
    await client.query<{ name: string }>({
      name: 'fingerprint_tables',
      // information_schema's BASE TABLEs, read from the catalog directly (a quarter of the time).
      text: `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
    })
  ).rows
    .map((row) => row.name)
    .filter((name) => !exclude.has(name));
  const selects = tables.map((name) => {
    const drop = (volatile[name] ?? []).map(literal).join(',');
    const row = drop ? `(to_jsonb(x) - ARRAY[${drop}]::text[])::text` : 'to_jsonb(x)::text';
    return `SELECT ${literal(name)} AS name, count(*)::int AS rows, md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS digest FROM ${quote(name)} x${monitoring[name] ? ` WHERE NOT (${monitoring[name]})` : ''}`;
  });
  const text = selects.join(' UNION ALL ');
  // Named after its text: other options (or a table added since) get a statement of their own.
  const name = `fingerprint_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  const { rows } = await client.query<{ name: string; rows: number; digest: string }>({ name, text });
  return Object.fromEntries(rows.map((r) => [r.name, { rows: Number(r.rows), digest: r.digest }]));
}

/** Tables whose contents differ, with their row counts before → after. */
export function fingerprintChanges(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => before[name]?.digest !== after[name]?.digest)
    .map((name) => `${name} (${before[name]?.rows ?? '-'} → ${after[name]?.rows ?? '-'} rows)`);
}
