import { migrationChecksum, scriptMatchesChecksum } from './migration-checksum';

describe('migrationChecksum', () => {
  it('is the zero-padded lowercase hex SHA-256 of the script (prisma-engines checksum.rs test vector)', () => {
    expect(migrationChecksum('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(migrationChecksum('abcd')).toHaveLength(64);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    expect(migrationChecksum('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});

describe('scriptMatchesChecksum', () => {
  it('matches across LF and CRLF line endings, as Prisma does', () => {
    const pairs = [
      ['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'],
      ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n'],
    ];
    for (const pair of pairs) {
      for (const script of pair) {
        for (const recorded of pair) expect(scriptMatchesChecksum(script, migrationChecksum(recorded))).toBe(true);
      }
    }
  });

  it('refuses any other change, including a trailing newline', () => {
    expect(scriptMatchesChecksum('abc', migrationChecksum('abcd'))).toBe(false);
    expect(scriptMatchesChecksum('abc\n', migrationChecksum('abc'))).toBe(false);
    expect(scriptMatchesChecksum('abc', '')).toBe(false);
  });

  it('accepts the unpadded checksums old Prisma engines stored (prisma-engines#1887)', () => {
    const script = 'CREATE TABLE "t0" ("id" TEXT);\n';
    expect(migrationChecksum(script)).toBe('6353f8b8840845de514011d6f5d3cac7b39588c9b13a8f159764f53c6e434028');
    const unpadded = '6353f8b884845de514011d6f5d3cac7b39588c9b13a8f159764f53c6e434028'; // 0x08 written as "8"
    expect(scriptMatchesChecksum(script, unpadded)).toBe(true);
    expect(scriptMatchesChecksum(script.replaceAll('\n', '\r\n'), unpadded)).toBe(true);
    expect(scriptMatchesChecksum(`${script}-- changed\n`, unpadded)).toBe(false);
  });
});
