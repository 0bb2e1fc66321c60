// Just enough Markdown for the docs tests: fenced blocks, heading anchors as
// GitHub renders them, and links outside code. (A full parser would be a
// dependency for three regular expressions' worth of structure.)

export interface FencedBlock {
  lang: string;
  code: string;
}

const FENCE = /^(```|~~~)\s*([\w-]*)[^\n]*\n([\s\S]*?)^\1\s*$/gm;

export function fencedBlocks(markdown: string): FencedBlock[] {
  return [...markdown.matchAll(FENCE)].map((m) => ({ lang: m[2], code: m[3] }));
}

/** The text with fenced blocks and inline code blanked out (so their contents are neither links nor headings). */
export function withoutCode(markdown: string): string {
  return markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ' ')).replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export interface Heading {
  text: string;
  anchor: string;
  level: number;
}

/** Headings with their anchors, numbered as GitHub numbers repeats (`x`, `x-1`, …). */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  for (const m of markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ' ')).matchAll(/^(#{1,6})\s+(.+?)\s*#*\s*$/gm)) {
    const base = slugOf(m[2]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ text: m[2], anchor: n === 0 ? base : `${base}-${n}`, level: m[1].length });
  }
  return out;
}

/** Every anchor a link may point to: headings and explicit `id="…"` attributes. */
export function anchorsOf(markdown: string): Set<string> {
  const ids = [...withoutCode(markdown).matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  return new Set([...headings(markdown).map((h) => h.anchor), ...ids]);
}

/** Link targets outside code: inline links, images, autolinks and reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/!?\[(?:[^\]\n]|\][^(\n])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const auto = [...text.matchAll(/<(https?:\/\/[^>\s]+)>/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...auto, ...references];
}
