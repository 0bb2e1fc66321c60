// A fingerprint of every table's contents, to prove that a refused request
// changed nothing: not only no row added or removed, but no column of any row
// rewritten. Tables are listed from the catalog, so a table added later is
// covered without touching this file.
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

export async function tableFingerprint(t: TestApp, options: FingerprintOptions = {}): Promise<Fingerprint> {
  const exclude = new Set(options.exclude ?? DEFAULT_FINGERPRINT.exclude);
  const volatile = options.volatile ?? DEFAULT_FINGERPRINT.volatile;
  const monitoring = options.monitoring ?? DEFAULT_FINGERPRINT.monitoring;
  const tables = (
    await t.prisma.$queryRawUnsafe<Array<{ name: string }>>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
    )
  )
    .map((row) => row.name)
    .filter((name) => !exclude.has(name));
  const selects = tables.map((name) => {
    const drop = (volatile[name] ?? []).map(literal).join(',');
    const row = drop ? `(to_jsonb(x) - ARRAY[${drop}]::text[])::text` : 'to_jsonb(x)::text';
    return `SELECT ${literal(name)} AS name, count(*)::int AS rows, md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS digest FROM ${quote(name)} x${monitoring[name] ? ` WHERE NOT (${monitoring[name]})` : ''}`;
  });
  const rows = await t.prisma.$queryRawUnsafe<Array<{ name: string; rows: number; digest: string }>>(selects.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.name, { rows: Number(r.rows), digest: r.digest }]));
}

/** Tables whose contents differ, with their row counts before → after. */
export function fingerprintChanges(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => before[name]?.digest !== after[name]?.digest)
    .map((name) => `${name} (${before[name]?.rows ?? '-'} → ${after[name]?.rows ?? '-'} rows)`);
}
