/**
 * Small dataset trees laid out as each published dataset ships, written by the tests (8x6 PNGs
 * from the project's encoder; TIFF/JPEG names where the dataset uses them, contents PNG or JPEG).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { encodePng, PngColorType } from '../../../src/dataset/png.js';
import { rgbImage } from '../helpers.js';

export const W = 8;
export const H = 6;

/** A grey mask holding `values` cycled over the pixels. */
export function maskOf(values: number[]): Buffer {
  const data = new Uint8Array(W * H);
  for (let i = 0; i < data.length; i++) data[i] = values[i % values.length];
  return encodePng({ width: W, height: H, colorType: PngColorType.Grey, bitDepth: 8, data });
}

export function put(root: string, path: string, content: Buffer | string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}

const image = () => rgbImage(W, H);

export function cityscapes(root: string, options: { trainIds?: boolean } = {}): void {
  const frames = { train: ['aachen_000000_000019', 'aachen_000001_000019', 'bochum_000000_000313'], val: ['frankfurt_000000_000294'] };
  for (const [split, ids] of Object.entries(frames)) {
    for (const id of ids) {
      const city = id.split('_')[0];
      put(root, `leftImg8bit/${split}/${city}/${id}_leftImg8bit.png`, image());
      put(root, `gtFine/${split}/${city}/${id}_gtFine_labelIds.png`, maskOf([7, 26, 1]));
      put(root, `gtFine/${split}/${city}/${id}_gtFine_color.png`, rgbImage(W, H, 3));
      put(root, `gtFine/${split}/${city}/${id}_gtFine_instanceIds.png`, maskOf([26000, 7].map((v) => v % 256)));
      put(root, `gtFine/${split}/${city}/${id}_gtFine_polygons.json`, '{}');
      if (options.trainIds) put(root, `gtFine/${split}/${city}/${id}_gtFine_labelTrainIds.png`, maskOf([0, 13, 255]));
    }
  }
}

export function voc(root: string): void {
  const ids = ['2007_000032', '2007_000039', '2007_000063', '2007_000068'];
  for (const id of ids) put(root, `JPEGImages/${id}.jpg`, image());
  put(root, 'JPEGImages/2008_000001.jpg', image()); // a detection-only image: no mask, in no list
  for (const id of ids) put(root, `SegmentationClass/${id}.png`, maskOf([0, 15, 255]));
  put(root, 'SegmentationObject/2007_000032.png', maskOf([0, 1]));
  put(root, 'ImageSets/Segmentation/train.txt', `${ids.slice(0, 3).join('\n')}\n`);
  put(root, 'ImageSets/Segmentation/val.txt', `${ids[3]}\n`);
  put(root, 'ImageSets/Segmentation/trainval.txt', `${ids.join('\n')}\n`);
}

export function ade20k(root: string): void {
  for (const [split, ids] of [['training', ['ADE_train_00000001', 'ADE_train_00000002']], ['validation', ['ADE_val_00000001']]] as const) {
    for (const id of ids) {
      put(root, `images/${split}/${id}.jpg`, image());
      put(root, `annotations/${split}/${id}.png`, maskOf([0, 1, 150]));
    }
  }
}

export function loveda(root: string): void {
  for (const [split, scenes] of [['Train', { Urban: [1366, 1367], Rural: [0, 1] }], ['Val', { Urban: [3514], Rural: [2522] }]] as const) {
    for (const [scene, ids] of Object.entries(scenes)) {
      for (const id of ids) {
        put(root, `${split}/${scene}/images_png/${id}.png`, image());
        put(root, `${split}/${scene}/masks_png/${id}.png`, maskOf([0, 1, 2, 7]));
      }
    }
  }
}

export function inria(root: string): void {
  for (const id of ['austin1', 'austin2', 'tyrol-w1', 'vienna3']) {
    put(root, `AerialImageDataset/train/images/${id}.tif`, image());
    put(root, `AerialImageDataset/train/gt/${id}.tif`, maskOf([0, 255]));
  }
  put(root, 'AerialImageDataset/test/images/bellingham1.tif', image());
}

export function whu(root: string): void {
  for (const split of ['train', 'val', 'test']) {
    for (const n of [0, 1]) {
      put(root, `${split}/image/${split}_${n}.tif`, image());
      put(root, `${split}/label/${split}_${n}.tif`, maskOf([0, 255]));
    }
  }
}

export function massachusetts(root: string): void {
  for (const split of ['train', 'val', 'test']) {
    for (const id of ['22678915_15', '22678930_15']) {
      put(root, `tiff/${split}/${id}.tiff`, image());
      put(root, `tiff/${split}_labels/${id}.tif`, maskOf([0, 255]));
    }
  }
}

export async function kvasir(root: string): Promise<void> {
  const jpeg = await sharp(Buffer.from(Uint8Array.from({ length: W * H }, (_, i) => (i % W < W / 2 ? 0 : 255))), { raw: { width: W, height: H, channels: 1 } }).jpeg().toBuffer();
  for (const id of ['cju0qkwl35piu0993l0dewei2', 'cju0qoxqj9q6s0835b43399p4']) {
    put(root, `Kvasir-SEG/images/${id}.jpg`, image());
    put(root, `Kvasir-SEG/masks/${id}.jpg`, jpeg);
  }
  put(root, 'Kvasir-SEG/kavsir_bboxes.json', '{}');
}

export function mmseg(root: string): void {
  for (const split of ['train', 'val']) {
    for (const n of [1, 2]) {
      put(root, `img_dir/${split}/tile_${n}.jpg`, image());
      put(root, `ann_dir/${split}/tile_${n}.png`, maskOf([0, 1, 2]));
    }
  }
}

export function seglossLayout(root: string): void {
  for (const n of [1, 2]) {
    put(root, `images/tile_${n}.png`, image());
    put(root, `masks/tile_${n}_mask.png`, maskOf([0, 1]));
  }
}
