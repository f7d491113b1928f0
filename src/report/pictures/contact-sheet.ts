/**
 * A contact sheet: one PNG with a row per validation image and the columns image | ground truth |
 * each candidate's prediction, so the candidates can be compared at a glance. Masks are drawn as
 * in the overlays (each foreground class blended over the image in its colour, background left
 * unpainted); a legend names every class colour, the column headers name the candidates. Tiles are
 * scaled to a common size (nearest neighbour when enlarging, so mask edges stay sharp). Composed
 * with sharp; the text is an SVG layer rasterised by sharp, user text escaped (svg-text.ts).
 */
import sharp from 'sharp';
import { blendOverlay, classColour, type PaintableImage } from './colours.js';
import { fitText, svgText } from './svg-text.js';

export interface ContactSheetInput {
  /** The validation images (pixels and ground-truth labels), one row each. */
  images: ReadonlyArray<PaintableImage & { id: string; labels: ArrayLike<number> }>;
  /** Each candidate's predicted class map per image, in the order of `images`. */
  candidates: ReadonlyArray<{ label: string; predictions: ReadonlyArray<ArrayLike<number>>; isRecommended?: boolean }>;
  classNames: readonly string[];
  numClasses: number;
  /** The class left unpainted (default 0; -1: none, every class painted). */
  background?: number;
  /** Longest side of a tile in pixels (default 200). */
  tileSize?: number;
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';
const MARGIN = 12;
const GAP = 8;
const LINE = 17;
/** Header lines per column at most (a long recipe title wraps, the rest is cut with "…"). */
const HEADER_LINES = 3;
const CAPTION = 20;
const FONT_SIZE = 13;
const LEGEND_ROW = 22;

function hex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Header text split over at most HEADER_LINES lines of `width` px. */
function headerLines(text: string, width: number): string[] {
  const perLine = Math.max(4, Math.floor(width / (0.6 * FONT_SIZE)));
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current && `${current} ${word}`.length > perLine) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  const kept = lines.slice(0, HEADER_LINES - 1);
  if (lines.length >= HEADER_LINES) kept.push(lines.slice(HEADER_LINES - 1).join(' '));
  return kept.map((line) => fitText(line, width, FONT_SIZE));
}

async function tile(image: PaintableImage, classes: ArrayLike<number> | null, numClasses: number, background: number, width: number, height: number): Promise<Buffer> {
  // No classes (the image column): nothing painted.
  const rgb = classes ? blendOverlay(image, classes, numClasses, background) : blendOverlay(image, new Uint8Array(image.width * image.height), 0, background);
  const enlarging = width >= image.width && height >= image.height;
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'contain', background: { r: 255, g: 255, b: 255 }, kernel: enlarging ? 'nearest' : 'lanczos3' })
    .removeAlpha()
    .raw()
    .toBuffer();
}

/** The contact sheet as PNG bytes. */
export async function contactSheetPng(input: ContactSheetInput): Promise<Buffer> {
  const { images, candidates, numClasses } = input;
  if (images.length === 0) throw new RangeError('a contact sheet needs at least one image');
  for (const c of candidates) {
    if (c.predictions.length < images.length) throw new RangeError(`candidate ${c.label} has ${c.predictions.length} predictions for ${images.length} images`);
  }
  const maxSide = input.tileSize ?? 200;
  // One tile size for the whole sheet, from the largest image, keeping its aspect ratio.
  const largest = images.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const scale = maxSide / Math.max(largest.width, largest.height);
  const tileW = Math.max(1, Math.round(largest.width * scale));
  const tileH = Math.max(1, Math.round(largest.height * scale));
  const columns = ['image', 'ground truth', ...candidates.map((c) => (c.isRecommended ? `${c.label} (recommended)` : c.label))];
  const width = MARGIN * 2 + columns.length * tileW + (columns.length - 1) * GAP;
  const headers = columns.map((name) => headerLines(name, tileW));
  const headerHeight = Math.max(...headers.map((h) => h.length)) * LINE + 10;

  // Legend: every foreground class with its colour, wrapped to the sheet's width.
  const background = input.background ?? 0;
  const legendItems = Array.from({ length: numClasses }, (_, id) => id).filter((id) => id !== background).map((id) => ({
    id,
    text: fitText(`${id} ${input.classNames[id] ?? ''}`.trim(), 220, FONT_SIZE),
  }));
  const itemWidth = (text: string) => 22 + Math.ceil(text.length * 0.6 * FONT_SIZE) + 18;
  const legendRows: Array<typeof legendItems> = [[]];
  let rowWidth = 0;
  for (const item of legendItems) {
    const w = itemWidth(item.text);
    if (rowWidth > 0 && rowWidth + w > width - 2 * MARGIN) {
      legendRows.push([]);
      rowWidth = 0;
    }
    legendRows[legendRows.length - 1].push(item);
    rowWidth += w;
  }
  const rowsTop = MARGIN + headerHeight;
  const rowHeight = tileH + CAPTION + GAP;
  const legendTop = rowsTop + images.length * rowHeight + 4;
  const height = legendTop + (1 + legendRows.length) * LEGEND_ROW + MARGIN;

  const composites: sharp.OverlayOptions[] = [];
  const text: string[] = [];
  headers.forEach((lines, col) => {
    const x = MARGIN + col * (tileW + GAP);
    lines.forEach((line, k) => {
      text.push(`<text x="${x}" y="${MARGIN + 14 + k * LINE}" font-weight="${col >= 2 ? 'bold' : 'normal'}">${svgText(line)}</text>`);
    });
  });
  for (const [row, image] of images.entries()) {
    const y = rowsTop + row * rowHeight;
    const maps: Array<ArrayLike<number> | null> = [null, image.labels, ...candidates.map((c) => c.predictions[row])];
    for (const [col, classes] of maps.entries()) {
      const raw = await tile(image, classes, numClasses, background, tileW, tileH);
      composites.push({ input: raw, raw: { width: tileW, height: tileH, channels: 3 }, left: MARGIN + col * (tileW + GAP), top: y });
    }
    text.push(`<text x="${MARGIN}" y="${y + tileH + 15}" fill="#555">${svgText(fitText(image.id, tileW, FONT_SIZE))}</text>`);
  }
  const unpainted = background >= 0 ? `${input.classNames[background] ?? `class ${background}`} unpainted` : 'every class painted';
  text.push(`<text x="${MARGIN}" y="${legendTop + 15}" font-weight="bold">Class colours (${svgText(unpainted)}):</text>`);
  legendRows.forEach((items, r) => {
    let x = MARGIN;
    const y = legendTop + (r + 1) * LEGEND_ROW;
    for (const item of items) {
      text.push(`<rect x="${x}" y="${y + 3}" width="16" height="16" fill="${hex(classColour(item.id, background))}" stroke="#333" stroke-width="1"/>`);
      text.push(`<text x="${x + 22}" y="${y + 16}">${svgText(item.text)}</text>`);
      x += itemWidth(item.text);
    }
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="${FONT}" font-size="${FONT_SIZE}" fill="#111">${text.join('')}</g></svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(composites)
    .png()
    .toBuffer();
}
