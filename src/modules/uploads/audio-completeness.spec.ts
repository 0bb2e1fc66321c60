import { aiff, crc8, flac, wav } from '../../../test/helpers/audio-fixtures';
import { measureFrom, type ByteReader } from './audio-completeness';
import type { Container } from './distribution-rules';

const reader =
  (bytes: Buffer): ByteReader =>
  async (position, length) =>
    bytes.subarray(position, position + length);
const measure = (container: Container, bytes: Buffer) => measureFrom(container, reader(bytes), bytes.length);
/** The first `fraction` of the file, as a transfer cut short leaves it. */
const cut = (bytes: Buffer, fraction: number) => bytes.subarray(0, Math.floor(bytes.length * fraction));

describe('measureFrom', () => {
  describe('WAV', () => {
    it('measures a whole file as what its header says', async () => {
      expect(await measure('WAV', wav({ durationMs: 1500 }))).toEqual({ durationMs: 1500, truncated: false });
      expect(await measure('WAV', wav({ durationMs: 2000, bitsPerSample: 24, extensible: true }))).toEqual({ durationMs: 2000, truncated: false });
    });

    it('finds a file whose data stops at 5.1 s of the 10 s its header declares', async () => {
      const whole = wav({ durationMs: 10_000 });
      const headerBytes = 44;
      const bytesPerSecond = 44_100 * 4;
      const truncated = whole.subarray(0, headerBytes + Math.round(5.1 * bytesPerSecond));
      expect(await measure('WAV', truncated)).toEqual({ durationMs: 5100, truncated: true });
    });

    it('finds a header with no samples at all', async () => {
      expect(await measure('WAV', wav({ durationMs: 1000 }).subarray(0, 44))).toEqual({ durationMs: 0, truncated: true });
    });
  });

  describe('AIFF', () => {
    it('measures a whole file, and one cut short', async () => {
      expect(await measure('AIFF', aiff({ durationMs: 1500 }))).toEqual({ durationMs: 1500, truncated: false });
      const half = await measure('AIFF', cut(aiff({ durationMs: 4000 }), 0.5));
      expect(half?.truncated).toBe(true);
      expect(half?.durationMs).toBeGreaterThan(1900);
      expect(half?.durationMs).toBeLessThanOrEqual(2000);
    });
  });

  describe('FLAC', () => {
    it.each([
      [44_100, 16, 1500],
      [96_000, 24, 2000],
      [48_000, 16, 4096 / 48], // one block exactly
    ])('takes the duration of a whole %i Hz/%i-bit file from its frames', async (sampleRate, bitsPerSample, durationMs) => {
      const measured = await measure('FLAC', flac({ sampleRate, bitsPerSample: bitsPerSample as 16 | 24, durationMs }));
      expect(measured).toEqual({ durationMs: Math.round(durationMs), truncated: false });
    });

    it('finds a file that lost its last frames', async () => {
      const measured = await measure('FLAC', cut(flac({ durationMs: 10_000 }), 0.51));
      expect(measured?.truncated).toBe(true);
      expect(measured?.durationMs).toBeGreaterThan(4000);
      expect(measured?.durationMs).toBeLessThan(5200);
    });

    it('finds a file cut inside its last frame', async () => {
      const whole = flac({ durationMs: 3000 });
      const measured = await measure('FLAC', whole.subarray(0, whole.length - 3));
      expect(measured?.truncated).toBe(true);
      // The incomplete last block does not count.
      expect(measured?.durationMs).toBe(Math.round((Math.floor((44_100 * 3) / 4096) * 4096 * 1000) / 44_100));
    });

    it('gives a header with no audio frames no duration, whatever STREAMINFO claims', async () => {
      const whole = flac({ durationMs: 10_000 });
      const headerOnly = whole.subarray(0, 4 + 4 + 34);
      expect(await measure('FLAC', headerOnly)).toEqual({ durationMs: 0, truncated: true });
    });

    it('ignores an ID3v1 tag after the frames', async () => {
      const tagged = Buffer.concat([flac({ durationMs: 1500 }), Buffer.from('TAG'), Buffer.alloc(125, 0x20)]);
      expect(await measure('FLAC', tagged)).toEqual({ durationMs: 1500, truncated: false });
    });

    it('is not fooled by bytes that look like a later frame header', async () => {
      // A header for frame 1000 with a valid CRC-8 but no frame behind it.
      const header = Buffer.from([0xff, 0xf8, 0xc9, 0x18, 0xcf, 0xa8]);
      const fake = Buffer.concat([header, Buffer.from([crc8(header)]), Buffer.alloc(8)]);
      const measured = await measure('FLAC', Buffer.concat([flac({ durationMs: 1500 }), fake]));
      expect(measured).toEqual({ durationMs: 1500, truncated: false });
    });
  });

  it('does not measure MP3', async () => {
    expect(await measure('MP3', Buffer.alloc(10))).toBeUndefined();
  });
});
