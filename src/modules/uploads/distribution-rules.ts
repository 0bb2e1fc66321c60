// What stores and aggregators accept as a master recording (API guide: Uploads and the distribution rules), as a
// plain function of the measured format. An upload that breaks any rule is
// kept but `rejected`, with every broken rule listed, so the client fixes all
// of them in one go.

export const CONTAINERS = ['WAV', 'AIFF', 'FLAC', 'MP3'] as const;
export type Container = (typeof CONTAINERS)[number];

export interface AudioFormat {
  container: Container;
  /** PCM, PCM float, FLAC, or the MPEG layer (e.g. "MPEG-1 Layer III"). */
  codec: string;
  lossless: boolean;
  sampleRate: number;
  /** Null for lossy codecs, which have no bit depth. */
  bitsPerSample: number | null;
  channels: number;
  /** Measured from the audio present, not taken from the header's claim. */
  durationMs: number;
  /** The header declares more audio than the file holds (audio-completeness.ts). */
  truncated: boolean;
}

export const UPLOAD_STATUSES = ['accepted', 'rejected'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

/** The rules, each with the code that names it in `problems`. */
export const DISTRIBUTION_RULES = {
  lossy: 'the audio must be lossless (WAV, FLAC or AIFF), not a lossy codec such as MP3',
  'sample-rate-too-low': 'the sample rate must be at least 44,100 Hz',
  'bit-depth-too-low': 'the bit depth must be at least 16 bits',
  'not-stereo': 'the audio must have exactly 2 channels (stereo)',
  'too-short': 'the audio must last at least 1 second',
  truncated: 'the file must hold all the audio its header declares (it stops early: cut in transit or by the encoder)',
} as const;
export type DistributionProblem = keyof typeof DISTRIBUTION_RULES;

export const MIN_SAMPLE_RATE = 44_100;
export const MIN_BITS_PER_SAMPLE = 16;
export const REQUIRED_CHANNELS = 2;
export const MIN_DURATION_MS = 1_000;

/** Every rule `format` breaks, in a stable order; empty when it may be distributed. */
export function distributionProblems(format: AudioFormat): DistributionProblem[] {
  const problems: DistributionProblem[] = [];
  if (!format.lossless) problems.push('lossy');
  if (format.sampleRate < MIN_SAMPLE_RATE) problems.push('sample-rate-too-low');
  // A lossy codec has no bit depth; "lossy" already covers it.
  if (format.lossless && (format.bitsPerSample ?? 0) < MIN_BITS_PER_SAMPLE) problems.push('bit-depth-too-low');
  if (format.channels !== REQUIRED_CHANNELS) problems.push('not-stereo');
  if (format.durationMs < MIN_DURATION_MS) problems.push('too-short');
  if (format.truncated) problems.push('truncated');
  return problems;
}

export function uploadStatusFor(problems: readonly string[]): UploadStatus {
  return problems.length === 0 ? 'accepted' : 'rejected';
}
