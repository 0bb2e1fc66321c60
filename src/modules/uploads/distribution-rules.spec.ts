import { AudioFormat, distributionProblems, uploadStatusFor } from './distribution-rules';

const cdQuality: AudioFormat = {
  container: 'WAV',
  codec: 'PCM',
  lossless: true,
  sampleRate: 44_100,
  bitsPerSample: 16,
  channels: 2,
  durationMs: 1_000,
  truncated: false,
};

describe('distributionProblems', () => {
  it('accepts CD quality at exactly the floors', () => {
    expect(distributionProblems(cdQuality)).toEqual([]);
    expect(uploadStatusFor([])).toBe('accepted');
  });

  it('accepts high-resolution lossless audio', () => {
    expect(distributionProblems({ ...cdQuality, container: 'FLAC', codec: 'FLAC', sampleRate: 96_000, bitsPerSample: 24, durationMs: 240_000 })).toEqual([]);
    expect(distributionProblems({ ...cdQuality, codec: 'PCM float', bitsPerSample: 32 })).toEqual([]);
  });

  it('rejects lossy audio as lossy only, without a bit-depth complaint', () => {
    const mp3: AudioFormat = { ...cdQuality, container: 'MP3', codec: 'MPEG-1 Layer III', lossless: false, bitsPerSample: null };
    expect(distributionProblems(mp3)).toEqual(['lossy']);
  });

  it.each<[string, Partial<AudioFormat>, string]>([
    ['a low sample rate', { sampleRate: 44_099 }, 'sample-rate-too-low'],
    ['a low bit depth', { bitsPerSample: 8 }, 'bit-depth-too-low'],
    ['an unknown bit depth', { bitsPerSample: null }, 'bit-depth-too-low'],
    ['mono', { channels: 1 }, 'not-stereo'],
    ['surround', { channels: 6 }, 'not-stereo'],
    ['a short file', { durationMs: 999 }, 'too-short'],
    ['a file that stops before its header says', { truncated: true }, 'truncated'],
  ])('names %s', (_label, change, problem) => {
    expect(distributionProblems({ ...cdQuality, ...change })).toEqual([problem]);
  });

  it('lists every broken rule at once, in a stable order', () => {
    const phoneMemo: AudioFormat = { container: 'MP3', codec: 'MPEG-2 Layer III', lossless: false, sampleRate: 22_050, bitsPerSample: null, channels: 1, durationMs: 500, truncated: true };
    expect(distributionProblems(phoneMemo)).toEqual(['lossy', 'sample-rate-too-low', 'not-stereo', 'too-short', 'truncated']);
    expect(uploadStatusFor(distributionProblems(phoneMemo))).toBe('rejected');
  });
});
