/**
 * Float64 reference implementations of every loss, written straight from the formulas in the
 * fixtures README and the module headers, sharing no code with src/losses. Used to check values on
 * random inputs and to take finite-difference gradients without float32 noise.
 */
import type { LossContext, LossName, LossParamValue } from '../../src/contracts/losses.js';

export interface Batch {
  shape: [number, number, number, number];
  logits: Float64Array;
  labels: Int32Array;
}

type Params = Record<string, LossParamValue>;

interface Stats {
  inter: number[][];
  pred: number[][];
  target: number[][];
  valid: boolean[];
}

function probabilities(batch: Batch): Float64Array {
  const [n, h, w, c] = batch.shape;
  const p = new Float64Array(n * h * w * c);
  for (let i = 0; i < n * h * w; i++) {
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, batch.logits[i * c + k]);
    let z = 0;
    for (let k = 0; k < c; k++) z += Math.exp(batch.logits[i * c + k] - max);
    for (let k = 0; k < c; k++) p[i * c + k] = Math.exp(batch.logits[i * c + k] - max) / z;
  }
  return p;
}

const isValid = (label: number, ctx: LossContext) => label !== ctx.ignoreIndex;

/** Per-image (or one batch group) sums of p*t, p (or p^2), t over valid pixels. */
function stats(batch: Batch, ctx: LossContext, groupBatch: boolean, squared = false): Stats {
  const [n, h, w, c] = batch.shape;
  const p = probabilities(batch);
  const groups = groupBatch ? 1 : n;
  const zero = () => Array.from({ length: groups }, () => new Array<number>(c).fill(0));
  const s: Stats = { inter: zero(), pred: zero(), target: zero(), valid: new Array<boolean>(groups).fill(false) };
  for (let img = 0; img < n; img++) {
    const g = groupBatch ? 0 : img;
    for (let j = 0; j < h * w; j++) {
      const i = img * h * w + j;
      const y = batch.labels[i];
      if (!isValid(y, ctx)) continue;
      s.valid[g] = true;
      for (let k = 0; k < c; k++) {
        const pk = p[i * c + k];
        const t = y === k ? 1 : 0;
        s.inter[g][k] += pk * t;
        s.pred[g][k] += squared ? pk * pk : pk;
        s.target[g][k] += t;
      }
    }
  }
  return s;
}

const classesFrom = (c: number, includeBackground: boolean) => Array.from({ length: c }, (_, k) => k).filter((k) => includeBackground || k > 0);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Mean over valid groups of the mean over classes of f(group, class). */
function classMean(s: Stats, classes: number[], f: (g: number, k: number) => number): number {
  const perGroup: number[] = [];
  s.valid.forEach((valid, g) => {
    if (valid) perGroup.push(mean(classes.map((k) => f(g, k))));
  });
  return mean(perGroup);
}

function perImageValues(batch: Batch, ctx: LossContext, name: LossName, p: Params, progress: number): number[] {
  const [n, h, w, c] = batch.shape;
  const out: number[] = [];
  for (let img = 0; img < n; img++) {
    const size = h * w;
    const one: Batch = {
      shape: [1, h, w, c],
      logits: batch.logits.slice(img * size * c, (img + 1) * size * c),
      labels: batch.labels.slice(img * size, (img + 1) * size),
    };
    out.push(referenceLoss(name, p, { ...ctx, scaleAware: null }, one, progress));
  }
  return out;
}

function crossEntropy(batch: Batch, ctx: LossContext, e: number, keep?: (i: number) => boolean): number {
  const [n, h, w, c] = batch.shape;
  const p = probabilities(batch);
  const wts = ctx.classWeights ?? new Array<number>(c).fill(1);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n * h * w; i++) {
    const y = batch.labels[i];
    if (!isValid(y, ctx) || (keep && !keep(i))) continue;
    let smooth = 0;
    for (let k = 0; k < c; k++) smooth -= wts[k] * Math.log(p[i * c + k]);
    num += (1 - e) * wts[y] * -Math.log(p[i * c + y]) + (e / c) * smooth;
    den += wts[y];
  }
  return den > 0 ? num / den : 0;
}

function pixelCE(batch: Batch, e: number): Float64Array {
  const [n, h, w, c] = batch.shape;
  const p = probabilities(batch);
  const out = new Float64Array(n * h * w);
  for (let i = 0; i < out.length; i++) {
    const y = batch.labels[i];
    let smooth = 0;
    for (let k = 0; k < c; k++) smooth -= Math.log(p[i * c + k]);
    out[i] = (1 - e) * -Math.log(p[i * c + Math.max(0, Math.min(c - 1, y))]) + (e / c) * smooth;
  }
  return out;
}

function ohem(batch: Batch, ctx: LossContext, p: Params): number {
  const ce = pixelCE(batch, p.labelSmoothing as number);
  const valid = [...ce.keys()].filter((i) => isValid(batch.labels[i], ctx));
  const k = Math.max(1, Math.ceil((p.keepRatio as number) * valid.length - 1e-9));
  const kept = new Set([...valid].sort((a, b) => ce[b] - ce[a] || a - b).slice(0, k));
  return valid.length ? crossEntropy(batch, ctx, p.labelSmoothing as number, (i) => kept.has(i)) : 0;
}

function tverskyIndex(s: Stats, g: number, k: number, p: Params): number {
  const tp = s.inter[g][k];
  const fp = s.pred[g][k] - tp;
  const fn = s.target[g][k] - tp;
  return (tp + (p.smoothNr as number)) / (tp + (p.alpha as number) * fp + (p.beta as number) * fn + (p.smoothDr as number));
}

/** 8-connected smallest foreground object area of image `img`, or null. */
function smallestObject(batch: Batch, img: number, ctx: LossContext): number | null {
  const [, h, w] = batch.shape;
  const lab = (y: number, x: number) => batch.labels[img * h * w + y * w + x];
  const seen = new Set<number>();
  let best: number | null = null;
  for (let y0 = 0; y0 < h; y0++) {
    for (let x0 = 0; x0 < w; x0++) {
      const cls = lab(y0, x0);
      if (cls === 0 || cls === ctx.ignoreIndex || seen.has(y0 * w + x0)) continue;
      const queue = [[y0, x0]];
      seen.add(y0 * w + x0);
      let area = 0;
      while (queue.length) {
        const [y, x] = queue.pop()!;
        area++;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const ny = y + dy;
            const nx = x + dx;
            if (ny >= 0 && ny < h && nx >= 0 && nx < w && !seen.has(ny * w + nx) && lab(ny, nx) === cls) {
              seen.add(ny * w + nx);
              queue.push([ny, nx]);
            }
          }
      }
      best = best === null ? area : Math.min(best, area);
    }
  }
  return best;
}

export function referenceLoss(name: LossName, p: Params, ctx: LossContext, batch: Batch, progress = 1): number {
  const [n, h, w, c] = batch.shape;
  if (ctx.scaleAware) {
    const values = perImageValues(batch, ctx, name, p, progress);
    let num = 0;
    let den = 0;
    for (let img = 0; img < n; img++) {
      const labels = batch.labels.slice(img * h * w, (img + 1) * h * w);
      if (!labels.some((y) => isValid(y, ctx))) continue;
      const area = smallestObject(batch, img, ctx);
      const edges = ctx.scaleAware.binEdges;
      const bin = area === null ? -1 : edges.filter((e) => area >= e).length;
      const s = bin === -1 ? 1 : ctx.scaleAware.binWeights[bin];
      num += s * values[img];
      den += s;
    }
    return den > 0 ? num / den : 0;
  }
  switch (name) {
    case 'ce':
      return crossEntropy(batch, ctx, p.labelSmoothing as number);
    case 'ohem_ce':
      return ohem(batch, ctx, p);
    case 'focal': {
      const probs = probabilities(batch);
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n * h * w; i++) {
        const y = batch.labels[i];
        if (!isValid(y, ctx)) continue;
        count++;
        const alpha = p.alpha as number | null;
        // Smoothed target q_k = (1-e)[k = y] + e/C; every class k adds its own focal term
        // (Keras CategoricalFocalCrossentropy's label_smoothing). e = 0: only k = y counts.
        const e = (p.labelSmoothing as number | undefined) ?? 0;
        for (let k = 0; k < c; k++) {
          const q = (1 - e) * (k === y ? 1 : 0) + e / c;
          if (q === 0) continue;
          const a = alpha === null ? 1 : k === 0 ? 1 - alpha : alpha;
          const wk = ctx.classWeights ? ctx.classWeights[k] : 1;
          const pk = probs[i * c + k];
          sum += -a * wk * q * Math.pow(1 - pk, p.gamma as number) * Math.log(pk);
        }
      }
      return count ? sum / (count * c) : 0;
    }
    case 'dice': {
      const s = stats(batch, ctx, p.batch as boolean, p.squaredPred as boolean);
      return classMean(s, classesFrom(c, p.includeBackground as boolean), (g, k) => {
        const I = s.inter[g][k];
        const both = s.pred[g][k] + s.target[g][k];
        const den = p.jaccard ? 2 * (both - I) : both;
        return 1 - (2 * I + (p.smoothNr as number)) / (den + (p.smoothDr as number));
      });
    }
    case 'stable_log_dice': {
      const s = stats(batch, ctx, false);
      return classMean(s, classesFrom(c, true), (g, k) => {
        const d = (2 * s.inter[g][k] + (p.smooth as number)) / (s.pred[g][k] + s.target[g][k] + (p.smooth as number));
        return -Math.log(Math.max(d, p.clampMin as number));
      });
    }
    case 'combo': {
      const dice =
        p.diceForm === 'dice'
          ? referenceLoss('dice', p, ctx, batch)
          : (() => {
              const s = stats(batch, ctx, p.batch as boolean);
              return classMean(s, classesFrom(c, p.includeBackground as boolean), (g, k) => {
                const d = (2 * s.inter[g][k] + 1e-6) / (s.pred[g][k] + s.target[g][k] + 1e-6);
                return -Math.log(Math.max(d, 0.01));
              });
            })();
      // CE term: OHEM CE (the ohem_ce formula) when ohemKeepRatio < 1, plain CE otherwise.
      const keepRatio = (p.ohemKeepRatio as number | undefined) ?? 1;
      const ce = keepRatio < 1 ? ohem(batch, ctx, { keepRatio, labelSmoothing: p.labelSmoothing }) : crossEntropy(batch, ctx, p.labelSmoothing as number);
      return (p.diceWeight as number) * dice + (p.ceWeight as number) * ce;
    }
    case 'generalized_dice': {
      const s = stats(batch, ctx, p.batch as boolean);
      const classes = classesFrom(c, p.includeBackground as boolean);
      const perGroup: number[] = [];
      s.valid.forEach((valid, g) => {
        if (!valid) return;
        const raw = classes.map((k) => {
          const t = s.target[g][k];
          if (p.weightType === 'uniform') return 1;
          return t > 0 ? (p.weightType === 'square' ? 1 / (t * t) : 1 / t) : Infinity;
        });
        const maxFinite = Math.max(0, ...raw.filter(Number.isFinite));
        const wts = raw.map((x) => (Number.isFinite(x) ? x : maxFinite));
        let num = 0;
        let den = 0;
        classes.forEach((k, j) => {
          num += wts[j] * s.inter[g][k];
          den += wts[j] * (s.pred[g][k] + s.target[g][k]);
        });
        perGroup.push(1 - (2 * num + (p.smoothNr as number)) / (den + (p.smoothDr as number)));
      });
      return mean(perGroup);
    }
    case 'tversky': {
      const s = stats(batch, ctx, p.batch as boolean);
      return classMean(s, classesFrom(c, p.includeBackground as boolean), (g, k) => 1 - tverskyIndex(s, g, k, p));
    }
    case 'focal_tversky': {
      const s = stats(batch, ctx, p.batch as boolean);
      return classMean(s, classesFrom(c, p.includeBackground as boolean), (g, k) => Math.pow(1 - tverskyIndex(s, g, k, p), p.gamma as number));
    }
    case 'boundary':
      return boundaryReference(batch, ctx, p.includeBackground as boolean);
    case 'dice_boundary': {
      const alphaStart = p.alphaStart as number;
      const alpha = alphaStart + ((p.alphaEnd as number) - alphaStart) * progress;
      const [diceWeight, boundaryWeight] =
        p.schedule === 'constant' ? [1, alphaStart] : p.schedule === 'increase' ? [1, alpha] : [Math.max(p.minDiceWeight as number, 1 - alpha), alpha];
      return diceWeight * referenceLoss('dice', p, ctx, batch) + boundaryWeight * boundaryReference(batch, ctx, p.boundaryIncludeBackground as boolean);
    }
    case 'hausdorff_dt':
      return hausdorffReference(batch, ctx, p);
  }
}

/**
 * Brute-force distance from each pixel of an h x w image to the nearest pixel on the other side of
 * `inside` (by trying every pixel), or null when `inside` is empty or covers the image.
 */
export function bruteForceDistanceToOtherSide(inside: boolean[], h: number, w: number): number[] | null {
  const count = inside.filter(Boolean).length;
  if (count === 0 || count === inside.length) return null;
  return inside.map((me, i) => {
    let best = Infinity;
    for (let j = 0; j < inside.length; j++) {
      if (inside[j] === me) continue;
      const dy = Math.floor(i / w) - Math.floor(j / w);
      const dx = (i % w) - (j % w);
      best = Math.min(best, dy * dy + dx * dx);
    }
    return Math.sqrt(best);
  });
}

/** Kervadec's one_hot2dist of class k in image img: outside d, inside -(d - 1); zeros when absent (null). */
export function referenceSignedDistance(batch: Batch, ctx: LossContext, img: number, k: number): number[] | null {
  const [, h, w] = batch.shape;
  const labels = Array.from(batch.labels.slice(img * h * w, (img + 1) * h * w));
  const inside = labels.map((y) => y === k && isValid(y, ctx));
  const d = bruteForceDistanceToOtherSide(inside, h, w);
  return d && d.map((v, i) => (inside[i] ? -(v - 1) : v));
}

/** SurfaceLoss: mean over valid pixels and included classes of p_k * phi_k, pooled over the batch. */
function boundaryReference(batch: Batch, ctx: LossContext, includeBackground: boolean): number {
  const [n, h, w, c] = batch.shape;
  const probs = probabilities(batch);
  const classes = classesFrom(c, includeBackground);
  let sum = 0;
  let valid = 0;
  for (let img = 0; img < n; img++) {
    const maps = classes.map((k) => referenceSignedDistance(batch, ctx, img, k));
    for (let j = 0; j < h * w; j++) {
      const i = img * h * w + j;
      if (!isValid(batch.labels[i], ctx)) continue;
      valid++;
      classes.forEach((k, m) => {
        sum += probs[i * c + k] * (maps[m]?.[j] ?? 0);
      });
    }
  }
  return valid ? sum / (valid * classes.length) : 0;
}

/** MONAI HausdorffDTLoss (softmax, one-hot target), mean over valid pixels per image (or batch) and class. */
function hausdorffReference(batch: Batch, ctx: LossContext, p: Params): number {
  const [n, h, w, c] = batch.shape;
  const probs = probabilities(batch);
  const classes = classesFrom(c, p.includeBackground as boolean);
  const alpha = p.alpha as number;
  const groups = p.batch ? 1 : n;
  const sums = Array.from({ length: groups }, () => new Array<number>(c).fill(0));
  const counts = new Array<number>(groups).fill(0);
  for (let img = 0; img < n; img++) {
    const g = p.batch ? 0 : img;
    const labels = Array.from(batch.labels.slice(img * h * w, (img + 1) * h * w));
    for (const k of classes) {
      const dp = bruteForceDistanceToOtherSide(labels.map((_, j) => probs[(img * h * w + j) * c + k] > 0.5), h, w);
      const dt = bruteForceDistanceToOtherSide(labels.map((y) => y === k && isValid(y, ctx)), h, w);
      labels.forEach((y, j) => {
        if (!isValid(y, ctx)) return;
        const err = probs[(img * h * w + j) * c + k] - (y === k ? 1 : 0);
        sums[g][k] += err * err * ((dp ? Math.pow(dp[j], alpha) : 0) + (dt ? Math.pow(dt[j], alpha) : 0));
      });
    }
    counts[g] += labels.filter((y) => isValid(y, ctx)).length;
  }
  const perGroup: number[] = [];
  for (let g = 0; g < groups; g++) if (counts[g] > 0) perGroup.push(mean(classes.map((k) => sums[g][k] / counts[g])));
  return mean(perGroup);
}
