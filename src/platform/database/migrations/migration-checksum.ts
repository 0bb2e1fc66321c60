// Prisma Migrate's checksum of a migration script, computed and compared the way
// the schema engine does (prisma-engines, schema-engine/connectors/schema-connector/src/checksum.rs):
// - the checksum is the SHA-256 of the script's UTF-8 text, as 64 lowercase hex digits;
// - a stored checksum still matches when the file's line endings changed
//   (CRLF -> LF or LF -> CRLF), because git rewrites them on checkout;
// - checksums written by old engines dropped each byte's leading zero
//   (prisma-engines#1887), so a stored value that is not 64 characters long is
//   compared in that format.
import { createHash } from 'node:crypto';

const CHECKSUM_LENGTH = 64;

function sha256(script: string): Buffer {
  return createHash('sha256').update(script, 'utf8').digest();
}

/** The checksum Prisma records in `_prisma_migrations.checksum` for this script. */
export function migrationChecksum(script: string): string {
  return sha256(script).toString('hex');
}

function unpaddedChecksum(script: string): string {
  return [...sha256(script)].map((byte) => byte.toString(16)).join('');
}

/** Whether `script` is the one `checksum` was recorded for, tolerating line-ending changes. */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const format = checksum.length !== 0 && checksum.length !== CHECKSUM_LENGTH ? unpaddedChecksum : migrationChecksum;
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => format(variant) === checksum);
}
