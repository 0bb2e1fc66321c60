// Client filenames, as plain functions. A filename is display metadata: it is
// stored (sanitized) and sent back in Content-Disposition, and never becomes
// part of a path (files are stored under the upload id).

const MAX_LENGTH = 200;
const MAX_EXTENSION_LENGTH = 16;
const FALLBACK = 'audio';

// C0 and C1 controls, DEL, and invisible characters that can disguise a name:
// bidirectional overrides and isolates ("evil\u202Evaw.exe" shows as
// "evilexe.wav"), zero-width characters and the byte-order mark.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Characters Windows, macOS or shells give a meaning to.
const RESERVED = /[<>:"|?*]/g;
// Windows device names stay special with any extension ("nul.wav").
const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;
// Tried only where a run of dots and spaces starts: `/[\s.]+$/` retried from
// every dot of a long run in the middle of a name ("a…….x") and took time
// quadratic in it: 0.14 s of CPU for a name filling a 16 KB part header.
const TRAILING_DOTS_AND_SPACES = /(?<![\s.])[\s.]+$/;

/**
 * A filename safe to store and to offer for download: the last path segment
 * only (`../../etc/passwd.wav` → `passwd.wav`), Unicode NFC, no control or
 * invisible characters, no reserved characters, no leading dots (no hidden or
 * relative names), at most 200 characters with the extension kept.
 */
export function sanitizeUploadFilename(raw: string | undefined): string {
  if (!raw) return FALLBACK;
  const lastSegment = raw.split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .replace(LONE_SURROGATE, '\ufffd')
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+/, '')
    .replace(TRAILING_DOTS_AND_SPACES, '');
  if (DEVICE_NAME.test(name)) name = `_${name}`;
  name = truncateKeepingExtension(name);
  return name === '' ? FALLBACK : name;
}

function truncateKeepingExtension(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (extension.length === 0 || extension.length > MAX_EXTENSION_LENGTH) return chars.slice(0, MAX_LENGTH).join('').trimEnd();
  const stem = Array.from(name.slice(0, dot)).slice(0, MAX_LENGTH - extension.length).join('').trimEnd();
  return stem + extension.join('');
}

/** The extensions each detected media type may carry; the first is the one given. */
const AUDIO_EXTENSIONS: Record<string, readonly string[]> = {
  'audio/wav': ['.wav', '.wave'],
  'audio/aiff': ['.aiff', '.aif', '.aifc'],
  'audio/flac': ['.flac'],
  'audio/mpeg': ['.mp3'],
};
// What a file manager would take for an extension: a dot and a few letters or digits.
const EXTENSION = /\.[A-Za-z0-9]{1,16}$/;

/**
 * The name a download is offered under: the stored name with an extension
 * that matches the type detected from the bytes. The client's own extension
 * never survives when it says something else (`x.html` → `x.wav`), so a
 * browser or file manager that goes by the name cannot be told to open the
 * audio as a page or a program.
 */
export function downloadFilename(filename: string, mimeType: string): string {
  const extensions = AUDIO_EXTENSIONS[mimeType];
  if (!extensions) throw new Error(`no download extension for ${mimeType}`);
  const current = EXTENSION.exec(filename)?.[0];
  if (current && extensions.includes(current.toLowerCase())) return filename;
  const stem = (current ? filename.slice(0, -current.length) : filename).replace(TRAILING_DOTS_AND_SPACES, '');
  const withExtension = (stem === '' ? FALLBACK : stem) + extensions[0];
  return truncateKeepingExtension(withExtension);
}

/**
 * `Content-Disposition: attachment` for a stored filename (RFC 6266 §4): an
 * ASCII `filename` for old clients and the exact name as `filename*` in
 * RFC 8187 UTF-8 encoding, which current clients prefer.
 */
export function attachmentDisposition(filename: string): string {
  // RFC 6266 §4.3: no percent sequences or backslashes in the fallback.
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(filename)}`;
}

/** RFC 8187 §3.2.1 value-chars: attr-char stays, every other byte is %-encoded. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
