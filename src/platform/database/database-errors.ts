/**
 * Maps driver and Prisma errors to what they mean for a client, so the error
 * filter can answer 503/409/404 without knowing Prisma's or pg's shapes.
 */
export type DatabaseErrorKind = 'unavailable' | 'unique-violation' | 'not-found' | 'invalid-text' | 'other';

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention:
// admin shutdown, crash shutdown, cannot connect now) mean "try again later".
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// pg and pg-pool signal a lost connection with plain Errors: a session cut by a
// server restart fails the next query on that client with "…encountered a
// connection error and is not queryable".
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database|encountered a connection error and is not queryable|Client was closed and is not queryable/i;

export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  for (const e of causeChain(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const kind = (e.cause as { kind?: unknown } | undefined)?.kind ?? e.kind;
    if (code === 'P2002' || code === '23505' || kind === 'UniqueConstraintViolation') return 'unique-violation';
    // Text PostgreSQL cannot store (NUL, invalid encoding) is the client's input, not our fault.
    if (code === '22021' || code === '22P05') return 'invalid-text';
    if (code === 'P2025') return 'not-found';
    if (code && (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) {
      return 'unavailable';
    }
    if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout' || kind === 'TooManyConnections') {
      return 'unavailable';
    }
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) {
      return 'unavailable';
    }
  }
  return 'other';
}

/**
 * The error, then what caused it. Prisma 7's known request errors from a
 * driver adapter (P2039 "Database error", P2010 "Raw query failed") carry the
 * driver's error in `meta.driverAdapterError`, not in `cause`: that is where
 * a restarting server's SQLSTATE (57P01, 57P03) is.
 */
function* causeChain(error: unknown): Generator<Record<string, unknown>> {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const e = current as Record<string, unknown>;
    yield e;
    current = e.cause ?? (e.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
  }
}

/** The unique index a Prisma P2002 names, as the pg driver adapter reports it (meta.driverAdapterError.cause.constraint). */
export function violatedIndex(error: unknown): string | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: { constraint?: { index?: unknown } } } } }).meta;
  const index = meta?.driverAdapterError?.cause?.constraint?.index;
  return typeof index === 'string' ? index : undefined;
}
