// Decides what an uploaded file is from its bytes, never from its name or
// declared type (API.md §4): `file-type` sniffs the container from the magic
// numbers, then `music-metadata` reads the header for codec, sample rate, bit
// depth, channels and duration. Both are ESM-only packages; the compiled app
// (CommonJS on Node 24) and Jest load them through require(esm).
//
// The duration and whether the file is cut short are measured from the
// audio actually present (audio-completeness.ts), not from the header.
//
// Outcomes: `audio` (a supported container and codec whose header makes
// sense), `unsupported` (anything else: the client should send another
// format → 415), or `corrupt` (the bytes claim a supported format but its
// header cannot be read or is impossible → 422: the format is fine, this file
// is not).
import { open } from 'node:fs/promises';
import type * as FileType from 'file-type/source/index';
import { parseFile } from 'music-metadata';
import { measureCompleteness } from './audio-completeness';
import type { AudioFormat, Container } from './distribution-rules';

// Types only: under moduleResolution "node10" TypeScript cannot see through
// file-type's "exports", while Node resolves the package itself at run time.
const { fileTypeFromFile } = require('file-type') as typeof FileType;

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

export async function inspectAudio(path: string): Promise<AudioInspection> {
  const sniffed = await fileTypeFromFile(path);
  const known = sniffed ? SNIFFED[sniffed.ext] : undefined;
  if (!known) {
    return {
      kind: 'unsupported',
      detail: `The file's content is ${sniffed ? sniffed.mime : 'not a recognised format'}; only ${ACCEPTED_TYPES} audio is accepted.`,
    };
  }
  const { container, mimeType } = known;
  const corrupt = (what: string): AudioInspection => ({ kind: 'corrupt', container, detail: `The file looks like ${container} but ${what}.` });

  let parsed: Awaited<ReturnType<typeof parseFile>>['format'];
  try {
    // Header only: no full scan for duration, no cover art.
    parsed = (await parseFile(path, { duration: false, skipCovers: true })).format;
  } catch {
    // The parser's message names the temporary path; the client gets ours.
    return corrupt('its header cannot be read');
  }
  if (!parsed.container || !PARSED_CONTAINERS[container].includes(parsed.container)) return corrupt('its header says otherwise');

  const codec = await codecOf(container, parsed.container, parsed.codec, path);
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
  const measured = await measureCompleteness(container, path);
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

async function codecOf(container: Container, parsedContainer: string, parsedCodec: string | undefined, path: string): Promise<Codec | undefined> {
  switch (container) {
    case 'WAV':
      return waveCodec(parsedCodec === 'non-PCM (65534)' ? await readExtensibleSubFormat(path) : parsedCodec);
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
 * music-metadata stops at 0xFFFE, so we walk the RIFF chunks to it: a few
 * small reads, bounded.
 */
async function readExtensibleSubFormat(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(8);
    let offset = 12; // after "RIFF" <size> "WAVE"
    for (let chunk = 0; chunk < 64; chunk++) {
      const { bytesRead } = await file.read(header, 0, 8, offset);
      if (bytesRead < 8) break;
      const id = header.toString('latin1', 0, 4);
      const size = header.readUInt32LE(4);
      if (id === 'fmt ') {
        if (size < 40) break;
        const fmt = Buffer.alloc(40);
        await file.read(fmt, 0, 40, offset + 8);
        const isKsDataFormat = fmt.subarray(26, 40).equals(KSDATAFORMAT_SUFFIX);
        const tag = fmt.readUInt16LE(24);
        if (isKsDataFormat && tag === 1) return 'PCM';
        if (isKsDataFormat && tag === 3) return 'IEEE_FLOAT';
        break;
      }
      offset += 8 + size + (size % 2); // chunks are word-aligned
    }
  } finally {
    await file.close();
  }
  return 'WAVE_FORMAT_EXTENSIBLE (not PCM)';
}

/** Bytes 2–15 of every KSDATAFORMAT_SUBTYPE GUID: 0000-0000-0010-8000-00AA00389B71. */
const KSDATAFORMAT_SUFFIX = Buffer.from('000000001000800000aa00389b71', 'hex');
