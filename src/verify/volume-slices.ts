/**
 * Verify on volumes: the 2D U-Net trains on slices, as nnU-Net's 2d configuration does.
 *
 * Each case becomes slices across its coarsest axis (dataset/volume.ts), every channel file
 * (_0000, _0001, ...) an input channel, each channel windowed per case to its 0.5-99.5 percentiles
 * (then verify z-scores channels over the training slices). Every slice carries its case as
 * `group`, so verify's split never puts slices of one volume on both sides.
 *
 * Which slices: every slice with foreground, plus slices without any, evenly spaced, half as many
 * (at least one per case): about a third of the slices a case gives are background-only. nnU-Net
 * samples a third of its patches around foreground and the rest at random; this keeps that
 * balance while holding far fewer slices in memory than a whole volume.
 */
import type { DecodedVolume } from '../dataset/volume.js';
import { interleavedSlice, sliceAxis, sliceOf, sliceShape } from '../dataset/volume.js';
import type { VerifyImage } from './data.js';

const AXIS_LETTERS = ['i', 'j', 'k'] as const;

function hasForeground(labels: Uint8Array | Uint16Array, ignoreIndex: number | null, background: number | null): boolean {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v !== background && v !== ignoreIndex) return true;
  }
  return false;
}

/** The indices of the slices kept for training, in order. */
export function chosenSlices(foreground: readonly boolean[]): number[] {
  const withForeground = foreground.flatMap((f, i) => (f ? [i] : []));
  const without = foreground.flatMap((f, i) => (f ? [] : [i]));
  const wanted = Math.min(without.length, Math.max(1, Math.ceil(withForeground.length / 2)));
  const picked = Array.from({ length: wanted }, (_, k) => without[Math.floor(((k + 0.5) * without.length) / wanted)]);
  return [...withForeground, ...picked].sort((a, b) => a - b);
}

/** The case's training slices (none when it has no images); `background` null = every class is foreground. */
export function volumeSlices(volume: DecodedVolume, ignoreIndex: number | null, background: number | null = 0): VerifyImage[] {
  if (!volume.channels || volume.channels.length === 0) return [];
  const axis = sliceAxis(volume.spacing);
  const { width, height, count } = sliceShape(volume.dims, axis);
  const labelsOf = (s: number): Uint8Array | Uint16Array => sliceOf(volume.labels, volume.dims, axis, s);
  const foreground = Array.from({ length: count }, (_, s) => hasForeground(labelsOf(s), ignoreIndex, background));
  return chosenSlices(foreground).map((s) => ({
    id: `${volume.id}@${AXIS_LETTERS[axis]}${s}`,
    width,
    height,
    channels: volume.channels!.length,
    pixels: interleavedSlice(volume.channels!, volume.dims, axis, s),
    labels: labelsOf(s).slice(),
    group: volume.group,
  }));
}
