/** The COCO reader and decode hook on small datasets written here (see make-coco.ts). */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readFile, rename, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/common/errors.js';
import { forgetCocoFiles, isCocoFileLoaded, loadCocoFile, readImageAnnotations } from '../../../src/dataset/coco/annotation-file.js';
import { rasteriseImage } from '../../../src/dataset/coco/rasterise.js';
import { decodePair } from '../../../src/dataset/decode.js';
import { readCocoDataset } from '../../../src/dataset/formats/readers/coco.js';
import { READERS } from '../../../src/dataset/formats/readers.js';
import { PairProblem, type DatasetPair } from '../../../src/dataset/types.js';
import { CLASS_NAMES, expectedLabels, IGNORE, polygonShape, sampleImages, writeCoco } from './make-coco.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'segloss-coco-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

let counter = 0;
const fresh = async (): Promise<string> => {
  const dir = join(base, `d${counter++}`);
  await mkdir(dir);
  return dir;
};
const context = { numClasses: 4, ignoreIndex: IGNORE, colormap: null, numClassesSource: null } as const;
const read = (root: string, split: string | null = null) => readCocoDataset({ root, split, options: {} });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('readCocoDataset', () => {
  it('is registered as READERS.coco', () => {
    expect(READERS.coco).toBe(readCocoDataset);
  });

  it("reads COCO 2017's own layout (train2017/ beside annotations/): a pair per image, classes named from the categories", async () => {
    const root = await fresh();
    const images = sampleImages();
    const file = await writeCoco(root, 'train2017', images, 'train2017');
    const located = await read(root);
    expect(located.classNames).toEqual(CLASS_NAMES);
    expect(located.masksDir).toBe(file);
    expect(located.imagesDir).toBe(join(root, 'train2017'));
    expect(located.hasImages).toBe(true);
    expect(located.labels).toEqual({ background: 0 });
    expect(located.skipped).toEqual([]);
    expect(located.pairs.map(({ id, maskPath, imagePath, source }) => ({ id, maskPath, imagePath, imageId: source?.imageId }))).toEqual(
      images.map((image, i) => ({ id: image.fileName.replace(/\.\w+$/, ''), maskPath: file, imagePath: join(root, 'train2017', image.fileName), imageId: i + 1 })),
    );
    // Each pair carries its image's entry and annotation places, for worker threads.
    expect(located.pairs.map((p) => [p.source?.image?.image.fileName, (p.source?.image?.places.length ?? 0) / 4, p.source?.image?.classes])).toEqual([
      ['000000000001.png', 3, [[1, 1], [3, 2]]],
      ['000000000002.jpg', 2, [[7, 3], [3, 2]]],
      ['000000000003.png', 0, []],
    ]);
    expect(located.notes?.join('\n')).toMatch(/3 images in train2017\/, 5 annotations \(1 crowd\), 3 categories -> classes 1..3/);
    expect(located.notes?.join('\n')).toMatch(/1 image has no annotations: read as all background/);
  });

  it('decodes every pair to the label map of the stated rule, exactly (overlaps, crowd, both RLE forms, an empty image)', async () => {
    const root = await fresh();
    const images = sampleImages();
    await writeCoco(root, 'val2017', images, 'images/val2017');
    const located = await read(root);
    expect(located.imagesDir).toBe(join(root, 'images', 'val2017'));
    for (const [i, pair] of located.pairs.entries()) {
      const decoded = await decodePair(pair, context);
      expect([decoded.width, decoded.height]).toEqual([40, 32]);
      expect(Buffer.from(decoded.labels).equals(Buffer.from(expectedLabels(images[i])))).toBe(true);
      expect(decoded.image?.channels).toBe(3);
    }
    // The first image: person 320 px less the car's overlap (8x8) = 256; car 168; crowd 160 less the person's corner (6x6) = 124.
    const first = await decodePair(located.pairs[0], context);
    const count = (v: number): number => first.labels.filter((l) => l === v).length;
    expect([count(1), count(2), count(IGNORE)]).toEqual([320 - 64, 168, 160 - 36]);
    expect(first.maxLabel).toBe(2);
  });

  it('gives crowd regions their category when there is no ignore index (--ignore-index none)', async () => {
    const root = await fresh();
    const images = sampleImages();
    await writeCoco(root, 'train', images, 'images');
    const located = await read(root);
    const decoded = await decodePair(located.pairs[0], { ...context, ignoreIndex: null });
    expect(Buffer.from(decoded.labels).equals(Buffer.from(expectedLabels(images[0], null)))).toBe(true);
  });

  it('counts each annotation as its area field says (pycocotools area = the mask\'s pixels)', async () => {
    const root = await fresh();
    const images = sampleImages();
    const path = await writeCoco(root, 'train', images, 'images');
    const file = await loadCocoFile(path);
    const json = JSON.parse(await readFile(path, 'utf8')) as { annotations: Array<{ area: number }> };
    for (const image of file.images) {
      const annotations = await readImageAnnotations(file, image.id);
      const { areas } = rasteriseImage(image, annotations, file.classOf, IGNORE);
      for (const a of annotations) expect(areas.get(a.index)).toBe(json.annotations[a.index].area);
    }
  });

  it('chooses the newest training split, reads --split by name or prefix, and lists the splits when asked for a missing one', async () => {
    const root = await fresh();
    for (const split of ['train2014', 'train2017', 'val2017']) await writeCoco(root, split, sampleImages(), split);
    expect((await read(root)).masksDir).toMatch(/instances_train2017\.json$/);
    expect((await read(root)).notes?.join('\n')).toMatch(/split train2017 \(the training split; also train2014, val2017: --split NAME\)/);
    expect((await read(root, 'val')).masksDir).toMatch(/instances_val2017\.json$/);
    expect((await read(root, 'train2014')).masksDir).toMatch(/instances_train2014\.json$/);
    const missing = await rejection(read(root, 'test'));
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.message).toMatch(/no split "test" in .*annotations: the annotation files there are for train2014, train2017, val2017/);
  });

  it('reads a CVAT-style export (annotations/instances_default.json, images/)', async () => {
    const root = await fresh();
    await writeCoco(root, 'default', sampleImages(), 'images');
    const located = await read(root);
    expect(located.pairs.map((p) => p.imagePath)).toEqual(sampleImages().map((image) => join(root, 'images', image.fileName)));
  });

  it('lists an image missing from the folder as skipped, and profiles the labels alone when no images folder exists', async () => {
    const root = await fresh();
    const images = sampleImages();
    await writeCoco(root, 'train2017', images, 'train2017');
    await rm(join(root, 'train2017', images[1].fileName));
    const located = await read(root);
    expect(located.pairs.map((p) => p.source?.imageId)).toEqual([1, 3]);
    expect(located.skipped).toHaveLength(1);
    expect(located.skipped[0].file).toBe(join(root, 'train2017', images[1].fileName));
    expect(located.skipped[0].problem).toMatch(/listed in instances_train2017\.json as images\[1\] \(id 2\)/);
    await rename(join(root, 'train2017'), join(root, 'elsewhere'));
    const labelsOnly = await read(root);
    expect(labelsOnly.hasImages).toBe(false);
    expect(labelsOnly.pairs.map((p) => p.imagePath)).toEqual([null, null, null]);
    expect(labelsOnly.notes?.join('\n')).toMatch(/no image files found \(looked in images\/train2017, train2017, images, \. under the root\): labels only/);
    const decoded = await decodePair(labelsOnly.pairs[1], context);
    expect(Buffer.from(decoded.labels).equals(Buffer.from(expectedLabels(images[1])))).toBe(true);
  });

  it('tells classes apart whose categories share a name (or are called "background")', async () => {
    const root = await fresh();
    const categories = [{ id: 9, name: 'car' }, { id: 2, name: 'car' }, { id: 4, name: 'background' }, { id: 5, name: 'tree' }];
    await writeCoco(root, 'train', [sampleImages()[2]], 'images', { categories });
    expect((await read(root)).classNames).toEqual(['background', 'car (category 2)', 'background (category 4)', 'tree', 'car (category 9)']);
  });

  it('says where there are no instance annotations', async () => {
    const root = await fresh();
    const error = await rejection(read(root));
    expect(error.message).toMatch(/no COCO instance annotations in .*annotations \(looked for instances_<split>\.json\)/);
  });
});

describe('bad annotation files', () => {
  async function withJson(text: string): Promise<string> {
    const root = await fresh();
    await mkdir(join(root, 'annotations'));
    await writeFile(join(root, 'annotations', 'instances_train.json'), text);
    return root;
  }
  const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    images: [
      { id: 1, file_name: 'a.png', width: 10, height: 8 },
      { id: 2, file_name: 'b.png', width: 10, height: 8 },
    ],
    annotations: [{ id: 1, image_id: 1, category_id: 5, segmentation: [[1, 1, 5, 1, 5, 5]], area: 8, iscrowd: 0 }],
    categories: [{ id: 5, name: 'roof' }],
    ...extra,
  });

  it('names the byte and line of a JSON syntax error, and says when the file is cut short', async () => {
    const broken = await rejection(read(await withJson('{\n "images": [\n  {"id": 1, "file_name": "a.png", "width": 10 "height": 8}\n ]\n}')));
    expect(broken).toBeInstanceOf(UserError);
    expect(broken.message).toMatch(/instances_train\.json: images\[0\] is not valid JSON \(Expected ',' or '}' after property value\) \(byte \d+, line 3\)/);
    const truncated = await rejection(read(await withJson(JSON.stringify(valid()).slice(0, 60))));
    expect(truncated.message).toMatch(/the file ends before the JSON object is closed/);
    const array = await rejection(read(await withJson('[1, 2]')));
    expect(array.message).toMatch(/expected the file to start with "\{" \(a JSON object\) but found "\["/);
    const trailing = await rejection(read(await withJson('{"images": [{"id": 1, "file_name": "a.png", "width": 1, "height": 1},]}')));
    expect(trailing.message).toMatch(/expected a value but found "\]"/);
  });

  it('names the JSON path of a bad field', async () => {
    const noCategories = await rejection(read(await withJson(JSON.stringify({ images: [], annotations: [] }))));
    expect(noCategories.message).toMatch(/the file has no "categories" entries/);
    const testInfo = await rejection(read(await withJson(JSON.stringify({ images: [], categories: [{ id: 1, name: 'a' }] }))));
    expect((testInfo as UserError).fix).toMatch(/image_info_\*\.json files list images without labels/);
    const badCategory = await rejection(read(await withJson(JSON.stringify(valid({ categories: [{ id: 5, name: '' }] }))))); 
    expect(badCategory.message).toMatch(/categories\[0\]\.name: expected the category's name, found ""/);
    const twice = await rejection(read(await withJson(JSON.stringify(valid({ categories: [{ id: 5, name: 'a' }, { id: 5, name: 'b' }] })))));
    expect(twice.message).toMatch(/two categories have the id 5 \("a" and "b"\)/);
    const empty = await rejection(read(await withJson(JSON.stringify(valid({ images: [], annotations: [] })))));
    expect(empty.message).toMatch(/instances_train\.json lists no images, so there is nothing to profile/);
    const notList = await rejection(read(await withJson(JSON.stringify(valid({ annotations: { id: 1 } })))));
    expect(notList.message).toMatch(/annotations: expected a list, found \{"id":1\}/);
  });

  it('leaves out an image whose annotation is bad, naming the annotation and field; other images go on', async () => {
    const json = valid();
    (json.annotations as unknown[]).push(
      { id: 2, image_id: 2, category_id: 5, segmentation: [[1, 1, 5, 1, 5]], area: 1, iscrowd: 0 },
      { id: 3, image_id: 9, category_id: 5, segmentation: [[1, 1, 5, 1, 5, 5]], iscrowd: 0 },
    );
    (json.images as unknown[]).push({ id: 3, file_name: '../../etc/passwd', width: 4, height: 4 }, { id: 4, file_name: 'c.png', width: -1, height: 4 });
    const located = await read(await withJson(JSON.stringify(json)));
    expect(located.pairs.map((p) => p.source?.imageId)).toEqual([1]);
    const problems = located.skipped.map((s) => s.problem);
    expect(problems).toContain('images[2].file_name: "../../etc/passwd" is not a path inside the images folder');
    expect(problems).toContain('images[3].width: expected a whole number of pixels in 1..1000000, found -1');
    expect(problems).toContain('1 annotation refers to an image id not in "images" (annotations[2].image_id 9); left out');
    expect(problems).toContain('image 2 (b.png, images[1]): annotations[1].segmentation[0]: a polygon has an even count of numbers (x, y pairs), this one has 5');
  });

  it('makes rasterising problems the pair\'s problem: RLE of another size, a vertex far outside, an unknown category', async () => {
    const json = valid({
      images: [
        { id: 1, file_name: 'a.png', width: 10, height: 8 },
        { id: 2, file_name: 'b.png', width: 10, height: 8 },
        { id: 3, file_name: 'c.png', width: 10, height: 8 },
      ],
      annotations: [
        { image_id: 1, category_id: 5, segmentation: { size: [10, 8], counts: [80] }, iscrowd: 1 },
        { image_id: 2, category_id: 5, segmentation: [[1, 1, 5e8, 1, 5, 5]] },
        { image_id: 3, category_id: 6, segmentation: [[1, 1, 5, 1, 5, 5]] },
      ],
    });
    const located = await read(await withJson(JSON.stringify(json)));
    expect(located.skipped.map((s) => s.problem)).toEqual(['image 3 (c.png, images[2]): annotations[2].category_id 6 is not in "categories"']);
    const problems: string[] = [];
    for (const pair of located.pairs) {
      const error = await rejection(decodePair(pair, context));
      expect(error).toBeInstanceOf(PairProblem);
      problems.push((error as PairProblem).problem);
    }
    expect(problems[0]).toBe('image 1 (a.png, images[0]): annotations[0].segmentation.size: the RLE is 10x8 (height x width) but its image is 8x10 (images[0])');
    expect(problems[1]).toMatch(/^image 2 \(b\.png, images\[1\]\): annotations\[1\]\.segmentation\[0\]: the polygons of this image trace more than 10000640 steps on pycocotools' 5x grid/);
  });

  it('refuses a directory, a named pipe or a device with the reason, without hanging', async () => {
    const root = await fresh();
    await mkdir(join(root, 'annotations', 'instances_train.json'), { recursive: true });
    expect((await rejection(read(root))).message).toMatch(/the annotation file is not a regular file: it is a directory/);
    const fifoRoot = await fresh();
    await mkdir(join(fifoRoot, 'annotations'));
    execFileSync('mkfifo', [join(fifoRoot, 'annotations', 'instances_train.json')]);
    expect((await rejection(read(fifoRoot))).message).toMatch(/not a regular file: it is a named pipe \(FIFO\)/);
    const zeroRoot = await fresh();
    await mkdir(join(zeroRoot, 'annotations'));
    await symlink('/dev/zero', join(zeroRoot, 'annotations', 'instances_train.json'));
    expect((await rejection(read(zeroRoot))).message).toMatch(/not a regular file: it is a character device/);
  });

  it("says to fix the annotation file when an image's size differs from its entry", async () => {
    const root = await fresh();
    const images = sampleImages();
    await writeCoco(root, 'train', images, 'images');
    await sharp({ create: { width: 20, height: 10, channels: 3, background: '#000' } }).png().toFile(join(root, 'images', images[0].fileName));
    const located = await read(root);
    const error = (await rejection(decodePair(located.pairs[0], context))) as PairProblem;
    expect(error.problem).toMatch(/mask is 40x32 but its image .*000000000001\.png is 20x10/);
    expect(error.fix).toBe("fix the image's width and height in the annotation file");
  });
});

describe('the per-process cache', () => {
  it('is not needed for a pair that carries its image (a worker thread reads only its annotations)', async () => {
    const root = await fresh();
    const images = sampleImages();
    const path = await writeCoco(root, 'train', images, 'images');
    const pairs = (await read(root)).pairs.map((p) => structuredClone(p)); // as a worker receives them
    forgetCocoFiles();
    for (const [i, pair] of pairs.entries()) {
      const decoded = await decodePair(pair, context);
      expect(Buffer.from(decoded.labels).equals(Buffer.from(expectedLabels(images[i])))).toBe(true);
    }
    expect(isCocoFileLoaded(path)).toBe(false);
    // The file changed since it was indexed: the carried places no longer hold, the file is read again.
    images[2].shapes.push(polygonShape(3, [[0, 0, 4, 4]], 40, 32));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeCoco(root, 'train', images, 'images');
    expect((await decodePair(pairs[2], context)).labels.filter((v) => v === 2)).toHaveLength(16);
    expect(isCocoFileLoaded(path)).toBe(true);
  });

  it('reads a file once, and again when it changes', async () => {
    const root = await fresh();
    const path = await writeCoco(root, 'train', sampleImages(), 'images');
    const first = await loadCocoFile(path);
    expect(await loadCocoFile(path)).toBe(first);
    const images = sampleImages();
    images[2].shapes.push(polygonShape(1, [[0, 0, 5, 5]], 40, 32));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeCoco(root, 'train', images, 'images');
    const second = await loadCocoFile(path);
    expect(second).not.toBe(first);
    const pair: DatasetPair = { id: 'c', maskPath: path, imagePath: null, source: { kind: 'coco', imageId: 3 } };
    expect((await decodePair(pair, context)).labels.filter((v) => v === 1)).toHaveLength(25);
  });
});
