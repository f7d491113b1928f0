/**
 * The profile's image bands in words, for the dataset line of every profile view: said only when
 * it is news (multi-band images, or bands chosen with --bands), so grey and RGB datasets read as before.
 */
import type { DatasetProfile } from '../contracts/profile.js';

/** ", 4-band images (measured band by band)", ", bands 4,3,2 of each image", or '' for grey/RGB images. */
export function imageBandsPhrase(dataset: Pick<DatasetProfile['dataset'], 'bands' | 'imageBands'>): string {
  const counts = Object.entries(dataset.imageBands ?? {})
    .map(([bands, images]) => [Number(bands), images] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const chosen = dataset.bands ? `bands ${dataset.bands.join(',')} of each image` : null;
  const multi = counts.some(([bands]) => bands !== 1 && bands !== 3);
  if (!chosen && !multi) return '';
  const mix = counts.length > 1 ? ` (${counts.map(([bands, images]) => `${images} with ${bands}`).join(', ')})` : '';
  if (chosen) return `, ${chosen}${mix}`;
  return counts.length === 1 ? `, ${counts[0][0]}-band images (measured band by band)` : `, multi-band images${mix}`;
}
