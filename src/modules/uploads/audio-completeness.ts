// Whether an audio file holds all the audio its header declares, and how
// much audio it really holds. Headers are claims: a WAV cut in transit still
// says 10 s in its `data` chunk, a FLAC whose frames were lost still counts
// every sample in STREAMINFO, and music-metadata (header only) believes them.
// Duration is measured here from what is present instead (API guide: Uploads and the distribution rules), and a
// file that holds less than it declares is `truncated`.
//
// Written here rather than taken from a package: music-metadata reads headers
// only, and no maintained pure-JS package exposes FLAC frame headers. The
// FLAC side follows RFC 9639 (§9.1 frame header, §9.3 frame footer): it
// finds the last complete frame by its sync code, header CRC-8 and footer
// CRC-16, reading only the end of the file.
import { open } from 'node:fs/promises';
import type { Container } from './distribution-rules';

export interface Completeness {
  /** Milliseconds of audio actually present. */
  durationMs: number;
  /** The header declares more audio than the file holds. */
  truncated: boolean;
}

/** Random access to the file's bytes: up to `length` bytes at `position` (fewer at the end). */
export type ByteReader = (position: number, length: number) => Promise<Buffer>;

export async function measureCompleteness(container: Container, path: string): Promise<Completeness | undefined> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const read: ByteReader = async (position, length) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      return buffer.subarray(0, bytesRead);
    };
    return await measureFrom(container, read, size);
  } finally {
    await file.close();
  }
}

/** Undefined when the container is not measured (MP3: lossy, and its frames carry no declared total). */
export function measureFrom(container: Container, read: ByteReader, size: number): Promise<Completeness | undefined> {
  switch (container) {
    case 'WAV':
      return measureWav(read, size);
    case 'AIFF':
      return measureAiff(read, size);
    case 'FLAC':
      return measureFlac(read, size);
    case 'MP3':
      return Promise.resolve(undefined);
  }
}

const MAX_CHUNKS = 1024;

function toMs(frames: number, sampleRate: number): number {
  return sampleRate > 0 ? Math.round((frames * 1000) / sampleRate) : 0;
}

/** RIFF/WAVE: the `data` chunk's declared size against the bytes after its header. */
export async function measureWav(read: ByteReader, size: number): Promise<Completeness | undefined> {
  let blockAlign = 0;
  let sampleRate = 0;
  let offset = 12; // "RIFF" <size> "WAVE"
  for (let i = 0; i < MAX_CHUNKS && offset + 8 <= size; i++) {
    const header = await read(offset, 8);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const chunkSize = header.readUInt32LE(4);
    if (id === 'fmt ') {
      const fmt = await read(offset + 8, 16);
      if (fmt.length < 16) return undefined;
      sampleRate = fmt.readUInt32LE(4);
      blockAlign = fmt.readUInt16LE(12);
    } else if (id === 'data') {
      if (blockAlign === 0) return undefined;
      const present = Math.min(chunkSize, size - (offset + 8));
      return { durationMs: toMs(Math.floor(present / blockAlign), sampleRate), truncated: present < chunkSize };
    }
    offset += 8 + chunkSize + (chunkSize % 2); // chunks are word-aligned
  }
  return undefined;
}

/** AIFF/AIFF-C: COMM's sample frames against the sound data the SSND chunk really holds. */
export async function measureAiff(read: ByteReader, size: number): Promise<Completeness | undefined> {
  let declaredFrames: number | undefined;
  let frameBytes = 0;
  let sampleRate = 0;
  let soundBytes: number | undefined;
  let ssndCut = false;
  let offset = 12; // "FORM" <size> "AIFF"/"AIFC"
  for (let i = 0; i < MAX_CHUNKS && offset + 8 <= size; i++) {
    const header = await read(offset, 8);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const chunkSize = header.readUInt32BE(4);
    if (id === 'COMM') {
      const comm = await read(offset + 8, 18);
      if (comm.length < 18) return undefined;
      const channels = comm.readUInt16BE(0);
      declaredFrames = comm.readUInt32BE(2);
      frameBytes = channels * Math.ceil(comm.readUInt16BE(6) / 8);
      sampleRate = extended80(comm.subarray(8, 18));
    } else if (id === 'SSND') {
      const ssnd = await read(offset + 8, 8);
      const dataOffset = ssnd.length === 8 ? ssnd.readUInt32BE(0) : 0;
      const present = Math.min(chunkSize, size - (offset + 8));
      ssndCut = present < chunkSize;
      soundBytes = Math.max(0, present - 8 - dataOffset);
    }
    offset += 8 + chunkSize + (chunkSize % 2);
  }
  if (declaredFrames === undefined || frameBytes === 0) return undefined;
  const presentFrames = Math.min(declaredFrames, Math.floor((soundBytes ?? 0) / frameBytes));
  return { durationMs: toMs(presentFrames, sampleRate), truncated: ssndCut || presentFrames < declaredFrames };
}

/** IEEE 754 80-bit extended (AIFF's sample rate). */
function extended80(bytes: Buffer): number {
  const exponent = bytes.readUInt16BE(0) & 0x7fff;
  const mantissa = Number(bytes.readBigUInt64BE(2));
  return exponent === 0 && mantissa === 0 ? 0 : Math.round(mantissa * 2 ** (exponent - 16383 - 63));
}

// ---- FLAC (RFC 9639) --------------------------------------------------------

export interface StreamInfo {
  maxBlockSize: number;
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0: unknown. */
  totalSamples: number;
}

const MIN_WINDOW = 1024 * 1024;

/**
 * STREAMINFO's total samples against the end of the last complete frame
 * (its first sample plus its block size). A file with no complete frame
 * holds no audio, whatever STREAMINFO says.
 */
export async function measureFlac(read: ByteReader, size: number): Promise<Completeness | undefined> {
  const metadata = await readFlacMetadata(read, size);
  if (!metadata) return undefined;
  const { info, audioStart } = metadata;
  const end = await audioEnd(read, size, audioStart);
  const samples = await lastCompleteFrameEnd(read, audioStart, end, info);
  return {
    durationMs: toMs(samples, info.sampleRate),
    truncated: samples === 0 || (info.totalSamples > 0 && samples < info.totalSamples),
  };
}

async function readFlacMetadata(read: ByteReader, size: number): Promise<{ info: StreamInfo; audioStart: number } | undefined> {
  let offset = 4; // "fLaC"
  let info: StreamInfo | undefined;
  for (let i = 0; i < MAX_CHUNKS && offset + 4 <= size; i++) {
    const header = await read(offset, 4);
    if (header.length < 4) return undefined;
    const last = (header[0] & 0x80) !== 0;
    const type = header[0] & 0x7f;
    const length = header.readUIntBE(1, 3);
    if (type === 0) {
      const block = await read(offset + 4, 34);
      if (block.length < 34) return undefined;
      info = {
        maxBlockSize: block.readUInt16BE(2),
        maxFrameSize: block.readUIntBE(7, 3),
        sampleRate: block.readUIntBE(10, 3) >> 4,
        channels: ((block[12] >> 1) & 0x07) + 1,
        bitsPerSample: (((block[12] & 0x01) << 4) | (block[13] >> 4)) + 1,
        totalSamples: (block[13] & 0x0f) * 2 ** 32 + block.readUInt32BE(14),
      };
    }
    offset += 4 + length;
    if (last) return info ? { info, audioStart: Math.min(offset, size) } : undefined;
  }
  return undefined;
}

/** Where the frames end: before an ID3v1 or APEv2 tag some taggers append. */
async function audioEnd(read: ByteReader, size: number, audioStart: number): Promise<number> {
  let end = size;
  if (end - 128 >= audioStart && (await read(end - 128, 3)).toString('latin1') === 'TAG') end -= 128;
  if (end - 32 >= audioStart) {
    const footer = await read(end - 32, 32);
    if (footer.length === 32 && footer.toString('latin1', 0, 8) === 'APETAGEX') {
      const tagSize = footer.readUInt32LE(12) + ((footer.readUInt32LE(20) & 0x80000000) !== 0 ? 32 : 0);
      if (end - tagSize >= audioStart) end -= tagSize;
    }
  }
  return end;
}

interface FrameHeader {
  firstSample: number;
  blockSize: number;
}

/** Reads the end of the audio, growing the window until it holds a complete frame or all the audio. */
async function lastCompleteFrameEnd(read: ByteReader, audioStart: number, end: number, info: StreamInfo): Promise<number> {
  let window = Math.max(MIN_WINDOW, 4 * info.maxFrameSize);
  for (;;) {
    const start = Math.max(audioStart, end - window);
    const bytes = await read(start, end - start);
    const positions: number[] = [];
    const headers = new Map<number, FrameHeader>();
    for (let i = bytes.indexOf(0xff); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
      if ((bytes[i + 1] & 0xfe) !== 0xf8) continue;
      const header = parseFrameHeader(bytes, i, info);
      if (header) {
        positions.push(i);
        headers.set(i, header);
      }
    }
    // The frame nearest the end that its footer proves whole ends the audio.
    for (let k = positions.length - 1; k >= 0; k--) {
      if (frameIsComplete(bytes, positions, k)) {
        const header = headers.get(positions[k])!;
        return header.firstSample + header.blockSize;
      }
    }
    if (start === audioStart) return 0;
    window *= 4;
  }
}

/**
 * A frame is whole when the CRC-16 of its bytes matches the two bytes before
 * the next frame header (or the end). A sync code that happened to occur in
 * audio data can sit between two real frames, so a few boundaries are tried.
 */
function frameIsComplete(bytes: Buffer, positions: number[], k: number): boolean {
  const from = positions[k];
  const boundaries = [...positions.slice(k + 1, k + 9), bytes.length];
  let crc = 0;
  let done = from;
  for (const boundary of boundaries) {
    if (boundary - 2 <= from) continue;
    crc = crc16(bytes, done, boundary - 2, crc);
    done = boundary - 2;
    if (crc === bytes.readUInt16BE(boundary - 2)) return true;
  }
  return false;
}

const BLOCK_SIZES: Record<number, number> = { 1: 192, 2: 576, 3: 1152, 4: 2304, 5: 4608, 8: 256, 9: 512, 10: 1024, 11: 2048, 12: 4096, 13: 8192, 14: 16384, 15: 32768 };
const SAMPLE_RATES: Record<number, number> = { 1: 88_200, 2: 176_400, 3: 192_000, 4: 8_000, 5: 16_000, 6: 22_050, 7: 24_000, 8: 32_000, 9: 44_100, 10: 48_000, 11: 96_000 };
const SAMPLE_SIZES: Record<number, number> = { 1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32 };

/** RFC 9639 §9.1, checked against STREAMINFO and the header's CRC-8; undefined when it is not a frame header. */
export function parseFrameHeader(bytes: Buffer, at: number, info: StreamInfo): FrameHeader | undefined {
  if (at + 6 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1] & 0xfe) !== 0xf8) return undefined;
  const variable = (bytes[at + 1] & 0x01) === 1;
  const blockCode = bytes[at + 2] >> 4;
  const rateCode = bytes[at + 2] & 0x0f;
  const channelCode = bytes[at + 3] >> 4;
  const sizeCode = (bytes[at + 3] >> 1) & 0x07;
  if (blockCode === 0 || rateCode === 15 || channelCode > 10 || sizeCode === 3 || (bytes[at + 3] & 0x01) !== 0) return undefined;
  if ((channelCode < 8 ? channelCode + 1 : 2) !== info.channels) return undefined;
  if (sizeCode !== 0 && SAMPLE_SIZES[sizeCode] !== info.bitsPerSample) return undefined;

  let p = at + 4;
  const coded = readCodedNumber(bytes, p);
  if (!coded) return undefined;
  p += coded.length;
  let blockSize = BLOCK_SIZES[blockCode];
  if (blockCode === 6 || blockCode === 7) {
    const extra = blockCode === 6 ? 1 : 2;
    if (p + extra > bytes.length) return undefined;
    blockSize = bytes.readUIntBE(p, extra) + 1;
    p += extra;
  }
  let sampleRate = rateCode === 0 ? info.sampleRate : SAMPLE_RATES[rateCode];
  if (rateCode >= 12) {
    const extra = rateCode === 12 ? 1 : 2;
    if (p + extra > bytes.length) return undefined;
    const value = bytes.readUIntBE(p, extra);
    sampleRate = rateCode === 12 ? value * 1000 : rateCode === 13 ? value : value * 10;
    p += extra;
  }
  if (sampleRate !== info.sampleRate) return undefined;
  if (p >= bytes.length || crc8(bytes, at, p) !== bytes[p]) return undefined;
  // Fixed block size: the frame number counts blocks of STREAMINFO's size.
  const firstSample = variable ? coded.value : coded.value * info.maxBlockSize;
  return { firstSample, blockSize };
}

/** The UTF-8-like coded frame or sample number (RFC 9639 §9.1.5). */
function readCodedNumber(bytes: Buffer, at: number): { value: number; length: number } | undefined {
  if (at >= bytes.length) return undefined;
  const lead = bytes[at];
  let length: number;
  if (lead < 0x80) return { value: lead, length: 1 };
  else if ((lead & 0xe0) === 0xc0) length = 2;
  else if ((lead & 0xf0) === 0xe0) length = 3;
  else if ((lead & 0xf8) === 0xf0) length = 4;
  else if ((lead & 0xfc) === 0xf8) length = 5;
  else if ((lead & 0xfe) === 0xfc) length = 6;
  else if (lead === 0xfe) length = 7;
  else return undefined;
  if (at + length > bytes.length) return undefined;
  let value = length === 7 ? 0 : lead & (0xff >> (length + 1));
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i];
    if ((byte & 0xc0) !== 0x80) return undefined;
    value = value * 64 + (byte & 0x3f);
  }
  return { value, length };
}

function crc8(bytes: Buffer, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = CRC8_TABLE[crc ^ bytes[i]];
  return crc;
}

function crc16(bytes: Buffer, from: number, to: number, initial: number): number {
  let crc = initial;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >> 8) ^ bytes[i]];
  return crc;
}

const CRC8_TABLE = Uint8Array.from({ length: 256 }, (_, n) => {
  let crc = n;
  for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  return crc;
});

const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, n) => {
  let crc = n << 8;
  for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});
