/** Decode-only baseline for bench/profile.ts: sharp reads a mask and its image to raw pixels. */
import sharp from 'sharp';

sharp.concurrency(1);

export default async function decodeOnly(task: { maskPath: string; imagePath: string | null }): Promise<number> {
  const mask = await sharp(task.maskPath).raw().toBuffer();
  const image = task.imagePath ? await sharp(task.imagePath).raw().toBuffer() : null;
  return mask.length + (image?.length ?? 0);
}
