/**
 * Text from user data (class names, candidate labels, image ids) placed in an SVG: control and
 * bidi characters shown as visible escapes (src/common/safe-text.ts; XML 1.0 forbids most of them
 * anyway), then the five XML special characters escaped, so a name like `</text><script>` is
 * drawn as those characters and never becomes markup.
 */
import { safeLine } from '../../common/safe-text.js';

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside an SVG element or a quoted attribute. */
export function svgText(text: string): string {
  return safeLine(text).replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]);
}

/** Cuts text to about `maxWidth` px at `fontSize` (DejaVu Sans averages ~0.6 em a character), ending in "…". */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
  const chars = Math.max(1, Math.floor(maxWidth / (0.6 * fontSize)));
  const clean = safeLine(text);
  return clean.length <= chars ? clean : `${clean.slice(0, Math.max(1, chars - 1))}…`;
}
