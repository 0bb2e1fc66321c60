import { ProtocolError, frontendMessage, lastReadyForQuery, simpleQuery, takeMessage, PROTOCOL_3_0 } from './pg-wire';

const backend = (type: string, body: Buffer) => {
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
};
const readyForQuery = (status: 'I' | 'T' | 'E') => backend('Z', Buffer.from(status));

describe('pg-wire', () => {
  it('cuts typed messages off a stream, waiting for the rest of an incomplete one', () => {
    const stream = Buffer.concat([simpleQuery('SELECT 1'), frontendMessage(0x53)]);
    const first = takeMessage(stream, false)!;
    expect(first.message.toString('latin1')).toBe('Q\0\0\0\rSELECT 1\0');
    expect(takeMessage(first.rest, false)!.message).toEqual(Buffer.from([0x53, 0, 0, 0, 4]));
    expect(takeMessage(stream.subarray(0, 7), false)).toBeUndefined();
    expect(takeMessage(stream.subarray(0, 3), false)).toBeUndefined();
  });

  it('cuts untyped startup packets, and refuses impossible lengths', () => {
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8, 0);
    startup.writeInt32BE(PROTOCOL_3_0, 4);
    expect(takeMessage(startup, true)!.message).toEqual(startup);
    expect(() => takeMessage(Buffer.from([0x51, 0, 0, 0, 1]), false)).toThrow(ProtocolError);
    expect(() => takeMessage(Buffer.from([0x7f, 0xff, 0xff, 0xff]), true)).toThrow(ProtocolError);
  });

  it('reads the status of the last ReadyForQuery in a reply, or none', () => {
    const rows = backend('D', Buffer.from([0, 1, 0, 0, 0, 1, 0x5a])); // a DataRow whose value is "Z"
    expect(lastReadyForQuery(Buffer.concat([rows, backend('C', Buffer.from('SELECT 1\0')), readyForQuery('T')]))).toBe('T');
    expect(lastReadyForQuery(Buffer.concat([readyForQuery('E'), readyForQuery('I')]))).toBe('I');
    expect(lastReadyForQuery(Buffer.concat([backend('1', Buffer.alloc(0)), backend('2', Buffer.alloc(0))]))).toBeUndefined();
    expect(lastReadyForQuery(new Uint8Array(0))).toBeUndefined();
  });
});
