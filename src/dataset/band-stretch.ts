/**
 * Image samples to 8 bits, band by band, before anything is measured or trained.
 *
 * Why: a uint16 band of reflectance x 10000 that only spans 0..3000, scaled by the type's range
 * (/257), keeps 12 grey levels: noise and edges vanish into quantisation, and the boundary measure
 * read the same edges as contrast 103.9 in 8 bits and 5.4 in uint16. A float band of reflectances
 * in 0..1 cast to bytes is black. Each band of each image is instead stretched linearly over its own
 * robust range, the ROBUST_LOW..ROBUST_HIGH percentiles of its finite values (so a few hot pixels,
 * saturated specks or no-data fill do not set the scale), to 0..255; values outside clip. When that
 * range is empty (a band >99% one value) the band's full finite range is used; a constant band is 0.
 * NaN and infinite values (no-data) become 0. 8-bit samples are display values already and are kept
 * as stored (so RGB/grey 8-bit images read exactly as before).
 */

/** Lower and upper percentile of each band's robust range. */
export const ROBUST_LOW = 0.005;
export const ROBUST_HIGH = 0.995;
/** Values sorted per band for the percentiles of 32-bit and float bands (16-bit bands use an exact histogram). */
const PERCENTILE_SAMPLE = 1 << 20;

export type BandSamples = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** The robust range [low, high] of band `band` of `channels` interleaved samples per pixel. */
export function robustRange(samples: BandSamples, pixels: number, channels: number, band: number): [number, number] {
  if (samples instanceof Uint16Array || samples instanceof Int16Array || samples instanceof Uint8Array || samples instanceof Int8Array) {
    return histogramRange(samples, pixels, channels, band);
  }
  return sortedRange(samples, pixels, channels, band);
}

function histogramRange(samples: Uint8Array | Int8Array | Uint16Array | Int16Array, pixels: number, channels: number, band: number): [number, number] {
  const offset = samples instanceof Int16Array ? 32768 : samples instanceof Int8Array ? 128 : 0;
  const histogram = new Uint32Array(samples instanceof Uint8Array || samples instanceof Int8Array ? 256 : 65536);
  for (let i = 0, j = band; i < pixels; i++, j += channels) histogram[samples[j] + offset]++;
  const at = (rank: number): number => {
    let seen = 0;
    for (let v = 0; v < histogram.length; v++) {
      seen += histogram[v];
      if (seen > rank) return v - offset;
    }
    return histogram.length - 1 - offset;
  };
  const low = at(Math.floor(ROBUST_LOW * (pixels - 1)));
  const high = at(Math.ceil(ROBUST_HIGH * (pixels - 1)));
  if (high > low) return [low, high];
  let min = -1;
  let max = -1;
  for (let v = 0; v < histogram.length; v++) {
    if (histogram[v] === 0) continue;
    if (min < 0) min = v;
    max = v;
  }
  return min < 0 ? [0, 0] : [min - offset, max - offset];
}

function sortedRange(samples: BandSamples, pixels: number, channels: number, band: number): [number, number] {
  // An evenly strided subset: deterministic, and within ~0.1 percentile of the exact value.
  const stride = Math.max(1, Math.ceil(pixels / PERCENTILE_SAMPLE));
  const values = new Float64Array(Math.ceil(pixels / stride));
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pixels; i++) {
    const v = samples[i * channels + band];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    if (i % stride === 0) values[n++] = v;
  }
  if (n === 0) return min <= max ? [min, max] : [0, 0];
  const sorted = values.subarray(0, n).sort();
  const low = sorted[Math.floor(ROBUST_LOW * (n - 1))];
  const high = sorted[Math.ceil(ROBUST_HIGH * (n - 1))];
  return high > low ? [low, high] : min <= max ? [min, max] : [0, 0];
}

/**
 * `channels` interleaved bands as 8-bit samples (see the module comment). 8-bit unsigned input is
 * returned as is; every other type is stretched band by band over its robust range.
 */
export function stretchBands(samples: BandSamples, pixels: number, channels: number): Uint8Array {
  if (samples instanceof Uint8Array) return samples.length === pixels * channels ? samples : samples.slice(0, pixels * channels);
  const out = new Uint8Array(pixels * channels);
  for (let band = 0; band < channels; band++) {
    const [low, high] = robustRange(samples, pixels, channels, band);
    const scale = high > low ? 255 / (high - low) : 0;
    for (let i = 0, j = band; i < pixels; i++, j += channels) {
      const v = samples[j];
      // Clamped; NaN (no-data) falls through both tests and becomes 0.
      out[j] = v >= high && scale > 0 ? 255 : v > low ? Math.round((v - low) * scale) : 0;
    }
  }
  return out;
}
