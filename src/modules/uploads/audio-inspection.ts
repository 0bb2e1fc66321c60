// Decides what an uploaded file is from its bytes, never from its name or
// declared type (API guide: Uploads and the distribution rules): `file-type` sniffs the container from the magic
// numbers, then `music-metadata` reads the header for codec, sample rate, bit
// depth, channels and duration. Both are ESM-only packages; the compiled app
// (CommonJS on Node 24) and Jest load them through require(esm).
//
// The bytes are inspected as they stream past on their way to storage (there
// is no local copy to read back when the storage is a bucket): the first
// HEAD_BYTES and the last TAIL_BYTES are kept, and music-metadata reads a
// branch of the stream until it has what it needs.
//
// The duration and whether the file is cut short are measured from the
// audio actually present (audio-completeness.ts, on the kept head and tail),
// not from the header.
//
// Outcomes: `audio` (a supported container and codec whose header makes
// sense), `unsupported` (anything else: the client should send another
// format → 415), or `corrupt` (the bytes claim a supported format but its
// header cannot be read or is impossible → 422: the format is fine, this file
// is not).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type * as FileType from 'file-type/source/index';
import { parseStream, type IAudioMetadata } from 'music-metadata';
import { measureFrom, type ByteReader, type Completeness } from './audio-completeness';
import type { AudioFormat, Container } from './distribution-rules';

// Types only: under moduleResolution "node10" TypeScript cannot see through
// file-type's "exports", while Node resolves the package itself at run time.
const { fileTypeFromBuffer } = require('file-type') as typeof FileType;

/**
 * Bytes kept from the start of every upload: magic numbers, the chunks before
 * the audio (fmt of a WAVE_FORMAT_EXTENSIBLE file, COMM/SSND, FLAC metadata
 * blocks with a small picture).
 */
export const HEAD_BYTES = 1024 * 1024;
/** Bytes kept from the end of every upload: the last FLAC frames, trailing tags. */
export const TAIL_BYTES = 1024 * 1024;

type ParseOutcome = { ok: true; format: IAudioMetadata['format'] } | { ok: false };

/**
 * Inspects a file while it streams: `write` each chunk (it resolves once
 * music-metadata has taken it, so a slow parse slows the upload instead of
 * piling up in memory), then `result()` at the end. music-metadata usually
 * stops early (MP3, FLAC); from then on the chunks only feed the head.
 */
export class AudioInspector {
  private readonly head: Buffer[] = [];
  private headLength = 0;
  /** The latest chunks, at least TAIL_BYTES of them once there are that many. */
  private readonly tail: Buffer[] = [];
  private tailLength = 0;
  private size = 0;
  private readonly branch = new PassThrough({ highWaterMark: 256 * 1024 });
  private parsing = true;
  private readonly parsed: Promise<ParseOutcome>;

  constructor() {
    // `duration: true` matters for MP3 only: a stream has no size to derive
    // a CBR file's duration from, so the parser counts the frames instead.
    const observer = ({ metadata, tag }: { metadata: IAudioMetadata; tag: { type: string; id: string } }) => {
      // A WAV's duration comes from its data chunk's header, and nothing
      // after it matters here: end the branch rather than have the parser
      // read (and discard) the whole file; it takes the early end in stride.
      if (tag.type === 'format' && tag.id === 'duration' && metadata.format.container === 'WAVE') this.stopFeeding();
    };
    this.parsed = parseStream(this.branch, undefined, { duration: true, skipCovers: true, observer }).then(
      ({ format }): ParseOutcome => ({ ok: true, format }),
      // The parser's message may name internals; the client gets ours.
      (): ParseOutcome => ({ ok: false }),
    );
    void this.parsed.then(() => {
      this.parsing = false;
      this.branch.destroy();
    });
  }

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    this.tail.push(chunk);
    this.tailLength += chunk.length;
    while (this.tailLength - this.tail[0].length >= TAIL_BYTES) this.tailLength -= this.tail.shift()!.length;
    if (this.headLength < HEAD_BYTES) {
      const kept = chunk.subarray(0, HEAD_BYTES - this.headLength);
      this.head.push(kept);
      this.headLength += kept.length;
    }
    if (!this.parsing || this.branch.write(chunk)) return;
    const stop = new AbortController();
    await Promise.race([once(this.branch, 'drain', { signal: stop.signal }).catch(() => undefined), this.parsed]);
    stop.abort();
  }

  private stopFeeding(): void {
    if (!this.parsing) return;
    this.parsing = false;
    this.branch.end();
  }

  /** The verdict, once every chunk has been written. */
  async result(): Promise<AudioInspection> {
    if (this.parsing) this.branch.end();
    const head = Buffer.concat(this.head, this.headLength);
    const tail = Buffer.concat(this.tail, this.tailLength);
    return decide(head, await this.parsed, (container) => measureKept(container, head, tail, this.size));
  }

  /** Stops the parse of a file that will not be finished. */
  abandon(): void {
    this.branch.destroy();
  }
}

export type AudioInspection =
  | { kind: 'audio'; mimeType: string; format: AudioFormat }
  | { kind: 'unsupported'; detail: string }
  | { kind: 'corrupt'; container: Container; detail: string };

/** file-type's extension → our container and the media type we serve it as. */
const SNIFFED: Record<string, { container: Container; mimeType: string }> = {
  wav: { container: 'WAV', mimeType: 'audio/wav' },
  aif: { container: 'AIFF', mimeType: 'audio/aiff' },
  flac: { container: 'FLAC', mimeType: 'audio/flac' },
  mp3: { container: 'MP3', mimeType: 'audio/mpeg' },
};
/** music-metadata's container names for each of ours. */
const PARSED_CONTAINERS: Record<Container, string[]> = {
  WAV: ['WAVE'],
  AIFF: ['AIFF', 'AIFF-C'],
  FLAC: ['FLAC'],
  MP3: ['MPEG'],
};
const ACCEPTED_TYPES = 'WAV (PCM), FLAC, AIFF or MP3';

// Sanity bounds: a header outside them describes no real recording.
const MAX_SAMPLE_RATE = 1_536_000;
const MAX_CHANNELS = 255;
const MAX_BITS_PER_SAMPLE = 64;
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * audio-completeness on the kept bytes: reads inside the head or the tail are
 * served, anything else means the file's layout needs bytes that were not
 * kept (metadata beyond the head, no complete frame in the tail) and it is
 * not measured: the header's duration stands and it is not called truncated.
 */
async function measureKept(container: Container, head: Buffer, tail: Buffer, size: number): Promise<Completeness | undefined> {
  const tailStart = size - tail.length;
  const read: ByteReader = (position, length) => {
    const end = Math.min(size, position + length);
    if (end <= head.length) return Promise.resolve(head.subarray(position, end));
    if (position >= tailStart) return Promise.resolve(tail.subarray(position - tailStart, end - tailStart));
    return Promise.reject(new NotKept());
  };
  try {
    return await measureFrom(container, read, size);
  } catch (error) {
    if (error instanceof NotKept) return undefined;
    throw error;
  }
}

class NotKept extends Error {}

async function decide(head: Buffer, parsing: ParseOutcome, measure: (container: Container) => Promise<Completeness | undefined>): Promise<AudioInspection> {
  const sniffed = await fileTypeFromBuffer(head);
  const known = sniffed ? SNIFFED[sniffed.ext] : undefined;
  if (!known) {
    return {
      kind: 'unsupported',
      detail: `The file's content is ${sniffed ? sniffed.mime : 'not a recognised format'}; only ${ACCEPTED_TYPES} audio is accepted.`,
    };
  }
  const { container, mimeType } = known;
  const corrupt = (what: string): AudioInspection => ({ kind: 'corrupt', container, detail: `The file looks like ${container} but ${what}.` });

  if (!parsing.ok) return corrupt('its header cannot be read');
  const parsed = parsing.format;
  if (!parsed.container || !PARSED_CONTAINERS[container].includes(parsed.container)) return corrupt('its header says otherwise');

  const codec = codecOf(container, parsed.container, parsed.codec, head);
  if (codec === undefined) return corrupt('it names no codec');
  if (codec.supported === false) {
    return { kind: 'unsupported', detail: `${container} audio encoded as ${codec.name} is not accepted; only ${ACCEPTED_TYPES} audio is.` };
  }

  const { sampleRate, numberOfChannels: channels, duration } = parsed;
  if (!isWhole(sampleRate, 1, MAX_SAMPLE_RATE)) return corrupt('its sample rate is missing or impossible');
  if (!isWhole(channels, 1, MAX_CHANNELS)) return corrupt('its channel count is missing or impossible');
  const bitsPerSample = codec.lossless ? parsed.bitsPerSample : null;
  if (bitsPerSample !== null && !isWhole(bitsPerSample, 1, MAX_BITS_PER_SAMPLE)) return corrupt('its bit depth is missing or impossible');
  // The duration is what the file holds, not what its header claims: a cut
  // file still declares its full length.
  const measured = await measure(container);
  const durationMs = measured ? measured.durationMs : duration === undefined ? NaN : Math.round(duration * 1000);
  if (!isWhole(durationMs, 0, MAX_DURATION_MS)) return corrupt('its duration is missing or impossible');

  return {
    kind: 'audio',
    mimeType,
    format: { container, codec: codec.name, lossless: codec.lossless, sampleRate, bitsPerSample, channels, durationMs, truncated: measured?.truncated ?? false },
  };
}

function isWhole(value: number | null | undefined, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

type Codec = { supported: true; name: string; lossless: boolean } | { supported: false; name: string };

function codecOf(container: Container, parsedContainer: string, parsedCodec: string | undefined, head: Buffer): Codec | undefined {
  switch (container) {
    case 'WAV':
      return waveCodec(parsedCodec === 'non-PCM (65534)' ? readExtensibleSubFormat(head) : parsedCodec);
    case 'AIFF':
      // Plain AIFF is always PCM; AIFF-C names its compression.
      return parsedContainer === 'AIFF' ? { supported: true, name: 'PCM', lossless: true } : aifcCodec(parsedCodec);
    case 'FLAC':
      return { supported: true, name: 'FLAC', lossless: true };
    case 'MP3': {
      // music-metadata says e.g. "MPEG 1 Layer 3"; file-type already told Layer III from I/II.
      const match = /^MPEG (1|2|2\.5) Layer 3$/.exec(parsedCodec ?? '');
      return match ? { supported: true, name: `MPEG-${match[1]} Layer III`, lossless: false } : parsedCodec ? { supported: false, name: parsedCodec } : undefined;
    }
  }
}

function waveCodec(name: string | undefined): Codec | undefined {
  if (name === undefined) return undefined;
  if (name === 'PCM') return { supported: true, name: 'PCM', lossless: true };
  if (name === 'IEEE_FLOAT') return { supported: true, name: 'PCM float', lossless: true };
  return { supported: false, name };
}

function aifcCodec(name: string | undefined): Codec | undefined {
  if (name === undefined) return undefined;
  if (/not compressed|^PCM/i.test(name)) return { supported: true, name: 'PCM', lossless: true };
  if (/float/i.test(name)) return { supported: true, name: 'PCM float', lossless: true };
  return { supported: false, name };
}

/**
 * WAVE_FORMAT_EXTENSIBLE (0xFFFE, what DAWs write for 24-bit and multichannel
 * audio) hides the real format in the SubFormat GUID of the fmt chunk, whose
 * first two bytes are the format tag (mmreg.h KSDATAFORMAT_SUBTYPE_*).
 * music-metadata stops at 0xFFFE, so we walk the RIFF chunks of the head to
 * it (the fmt chunk comes before the audio, well within HEAD_BYTES).
 */
function readExtensibleSubFormat(head: Buffer): string {
  let offset = 12; // after "RIFF" <size> "WAVE"
  for (let chunk = 0; chunk < 64 && offset + 8 <= head.length; chunk++) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (size < 40 || offset + 8 + 40 > head.length) break;
      const fmt = head.subarray(offset + 8, offset + 8 + 40);
      const isKsDataFormat = fmt.subarray(26, 40).equals(KSDATAFORMAT_SUFFIX);
      const tag = fmt.readUInt16LE(24);
      if (isKsDataFormat && tag === 1) return 'PCM';
      if (isKsDataFormat && tag === 3) return 'IEEE_FLOAT';
      break;
    }
    offset += 8 + size + (size % 2); // chunks are word-aligned
  }
  return 'WAVE_FORMAT_EXTENSIBLE (not PCM)';
}

/** Bytes 2–15 of every KSDATAFORMAT_SUBTYPE GUID: 0000-0000-0010-8000-00AA00389B71. */
const KSDATAFORMAT_SUFFIX = Buffer.from('000000001000800000aa00389b71', 'hex');
