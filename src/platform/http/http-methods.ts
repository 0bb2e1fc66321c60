/** Methods that change state: they run in the request transaction and every failure of theirs is audited (API guide: Audit trail). */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Methods an Idempotency-Key applies to (API guide: Idempotency). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);
