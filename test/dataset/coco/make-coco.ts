/**
 * Small COCO datasets written by the tests, with the label map each image must get computed here
 * independently of src/dataset/coco: from pixel sets known by construction (rectangles with
 * integer corners cover exactly the pixels between them; RLE masks are encoded from known
 * arrays), painted by the documented rule (crowd first as the ignore index, then instances by
 * area, largest first, ties in file order).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { encodeCountsString, encodeMask } from '../../../src/dataset/coco/rle.js';

export const IGNORE = 255;

/** Category ids are not contiguous: 1, 3, 7 become classes 1, 2, 3. */
export const CATEGORIES = [
  { id: 7, name: 'dog', supercategory: 'animal' },
  { id: 1, name: 'person', supercategory: 'person' },
  { id: 3, name: 'car', supercategory: 'vehicle' },
];
export const CLASS_OF: Record<number, number> = { 1: 1, 3: 2, 7: 3 };
export const CLASS_NAMES = ['background', 'person', 'car', 'dog'];

type Rect = [number, number, number, number]; // x0, y0, x1, y1 (integer corners)

interface Shape {
  category: number;
  crowd?: boolean;
  /** The pixels (row-major, 0/1) the annotation covers. */
  pixels: Uint8Array;
  segmentation: unknown;
  /** The area field when it is not the pixel count (an exporter's geometric polygon area). */
  area?: number;
}

function rectPixels(rects: Rect[], w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (const [x0, y0, x1, y1] of rects) for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) for (let x = Math.max(0, x0); x < Math.min(w, x1); x++) out[y * w + x] = 1;
  return out;
}

function rectPolygon([x0, y0, x1, y1]: Rect): number[] {
  return [x0, y0, x1, y0, x1, y1, x0, y1];
}

/** Row-major 0/1 pixels to column-major runs (COCO's order). */
function columnMajor(pixels: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = pixels[y * w + x];
  return out;
}

export const polygonShape = (category: number, rects: Rect[], w: number, h: number): Shape => ({ category, pixels: rectPixels(rects, w, h), segmentation: rects.map(rectPolygon) });

export function rleShape(category: number, pixels: Uint8Array, w: number, h: number, compressed: boolean, crowd = false): Shape {
  const counts = Array.from(encodeMask(columnMajor(pixels, w, h), h, w).counts);
  return { category, crowd, pixels, segmentation: { size: [h, w], counts: compressed ? encodeCountsString(counts) : counts } };
}

/** A blob: a disc of radius r around (cx, cy) with a notch, as a known pixel set. */
export function blob(w: number, h: number, cx: number, cy: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r && !(x > cx && Math.abs(y - cy) < 2)) out[y * w + x] = 1;
  return out;
}

export const rectangle = rectPixels;

export interface TestImage {
  fileName: string;
  width: number;
  height: number;
  shapes: Shape[];
  format?: 'png' | 'jpeg';
}

/** The label map the rule gives (see the module comment). */
export function expectedLabels(image: TestImage, ignoreIndex: number | null = IGNORE): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  const area = (s: Shape): number => s.pixels.reduce((a, v) => a + v, 0);
  const indexed = image.shapes.map((shape, index) => ({ shape, index }));
  const order = [...indexed.filter((s) => s.shape.crowd), ...indexed.filter((s) => !s.shape.crowd).sort((a, b) => area(b.shape) - area(a.shape) || a.index - b.index)];
  for (const { shape } of order) {
    const value = shape.crowd && ignoreIndex !== null ? ignoreIndex : CLASS_OF[shape.category];
    shape.pixels.forEach((v, i) => {
      if (v) out[i] = value;
    });
  }
  return out;
}

/** Writes the images (flat grey-ish content) and annotations/instances_<split>.json. */
export async function writeCoco(root: string, split: string, images: TestImage[], imagesDir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const annotations: unknown[] = [];
  let annotationId = 100;
  images.forEach((image, i) => {
    for (const shape of image.shapes) {
      annotations.push({
        id: annotationId++,
        image_id: i + 1,
        category_id: shape.category,
        segmentation: shape.segmentation,
        area: shape.area ?? shape.pixels.reduce((a, v) => a + v, 0),
        bbox: [0, 0, 1, 1],
        iscrowd: shape.crowd ? 1 : 0,
      });
    }
  });
  // Annotations before images and categories, as some exporters write them: the reader must not care.
  const json = {
    info: { description: 'segloss test' },
    annotations,
    licenses: [],
    images: images.map((image, i) => ({ id: i + 1, file_name: image.fileName, width: image.width, height: image.height, license: 0 })),
    categories: CATEGORIES,
    ...extra,
  };
  const file = join(root, 'annotations', `instances_${split}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(json, null, 1));
  for (const image of images) {
    const path = join(root, imagesDir, image.fileName);
    await mkdir(dirname(path), { recursive: true });
    const labels = expectedLabels(image);
    const rgb = Buffer.alloc(image.width * image.height * 3);
    for (let p = 0; p < labels.length; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = labels[p] === IGNORE ? 128 : 30 + 50 * labels[p] + 7 * c;
    const encoder = sharp(rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
    await (image.format === 'jpeg' ? encoder.jpeg({ quality: 90 }) : encoder.png()).toFile(path);
  }
  return file;
}

/** The three-image dataset every COCO test uses: overlaps, crowd, polygons, both RLE forms, an empty image. */
export function sampleImages(): TestImage[] {
  const w = 40;
  const h = 32;
  return [
    {
      fileName: '000000000001.png',
      width: w,
      height: h,
      shapes: [
        polygonShape(1, [[4, 4, 24, 20]], w, h), // person 320 px
        polygonShape(3, [[16, 12, 28, 26]], w, h), // car 168 px, over the person where they overlap
        rleShape(1, rectangle([[0, 14, 10, 30]], w, h), w, h, false, true), // a crowd under the person's corner
      ],
    },
    {
      fileName: '000000000002.jpg',
      format: 'jpeg',
      width: w,
      height: h,
      shapes: [
        rleShape(7, blob(w, h, 20, 16, 9), w, h, true), // dog, compressed RLE
        polygonShape(3, [[1, 1, 6, 6], [30, 20, 38, 30]], w, h), // car in two parts
      ],
    },
    { fileName: '000000000003.png', width: w, height: h, shapes: [] },
  ];
}
