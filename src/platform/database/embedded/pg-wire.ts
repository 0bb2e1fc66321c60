/**
 * The few pieces of the PostgreSQL frontend/backend protocol (version 3.0,
 * https://www.postgresql.org/docs/current/protocol-message-formats.html) the
 * embedded session server needs: cutting a byte stream into messages, and
 * reading the transaction status out of ReadyForQuery. Nothing is decoded
 * beyond that; PGlite does the rest.
 */

/** First int32 of an untyped startup-phase packet after its length. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** Frontend message types the server acts on itself. */
export const FRONTEND_TERMINATE = 0x58; // 'X'
export const FRONTEND_SYNC = 0x53; // 'S'
export const FRONTEND_QUERY = 0x51; // 'Q'
/** Backend ReadyForQuery ('Z'): its one-byte body is the transaction status. */
const BACKEND_READY_FOR_QUERY = 0x5a;

/** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** Messages larger than this are refused rather than buffered (PostgreSQL's own limit is 1 GB). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class ProtocolError extends Error {}

/**
 * Splits the next whole message off `buffer`. Before startup completes the
 * packets carry no type byte (length, then code); afterwards every message is
 * a type byte, then an int32 length that counts itself but not the type.
 * Returns undefined while the message is still incomplete.
 */
export function takeMessage(buffer: Buffer, startupPhase: boolean): { message: Buffer; rest: Buffer } | undefined {
  const header = startupPhase ? 4 : 5;
  if (buffer.length < header) return undefined;
  const length = startupPhase ? buffer.readInt32BE(0) : buffer.readInt32BE(1) + 1;
  if (length < header || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`);
  if (buffer.length < length) return undefined;
  return { message: buffer.subarray(0, length), rest: buffer.subarray(length) };
}

/** The code of a startup-phase packet: a protocol version, or an SSL/GSS/cancel request. */
export function startupCode(packet: Buffer): number {
  if (packet.length < 8) throw new ProtocolError('startup packet too short');
  return packet.readInt32BE(4);
}

/**
 * The transaction status of the last ReadyForQuery in a backend reply, or
 * undefined if it has none (a reply to Parse, Bind, Execute… before Sync).
 * The reply must start on a message boundary, as PGlite's replies to one
 * frontend message do.
 */
export function lastReadyForQuery(reply: Uint8Array): TransactionStatus | undefined {
  const view = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  let status: TransactionStatus | undefined;
  let offset = 0;
  while (offset + 5 <= view.length) {
    const type = view[offset];
    const length = view.readInt32BE(offset + 1);
    if (length < 4) throw new ProtocolError(`invalid backend message length ${length}`);
    if (type === BACKEND_READY_FOR_QUERY && length === 5 && offset + 6 <= view.length) {
      status = String.fromCharCode(view[offset + 5]) as TransactionStatus;
    }
    offset += 1 + length;
  }
  return status;
}

/** A frontend message of `type` with `body` (Sync and Query are all the server composes). */
export function frontendMessage(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

export function simpleQuery(sql: string): Buffer {
  return frontendMessage(FRONTEND_QUERY, Buffer.from(`${sql}\0`, 'utf8'));
}

/** A backend ErrorResponse (severity FATAL), for refusing a connection in its own words. */
export function fatalError(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const header = Buffer.alloc(5);
  header[0] = 0x45; // 'E'
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}
