import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { lossCurvesSvg, metricBarsSvg, uniqueLabels } from '../../src/report/pictures/charts.js';
import { blendOverlay, classColour } from '../../src/report/pictures/colours.js';
import { contactSheetPng } from '../../src/report/pictures/contact-sheet.js';
import { lossSeriesOf, metricBarsOf, writeVerificationPictures } from '../../src/report/pictures/index.js';
import { svgText } from '../../src/report/pictures/svg-text.js';
import { writeReport } from '../../src/report/write-report.js';
import { createPredictionPictures } from '../../src/verify/overlays.js';
import { profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';

const HOSTILE = 'Focal </text><script>alert(1)</script> & "q" \u001b[31m';
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'segloss-pictures-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A 40x30 grey image whose labels are class 1 on the left half, class 2 in the bottom-right quarter. */
function image(id: string) {
  const width = 40;
  const height = 30;
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) labels[y * width + x] = x < 20 ? 1 : y >= 15 ? 2 : 0;
  return { id, width, height, channels: 3, pixels: new Uint8Array(width * height * 3).fill(100), labels };
}

describe('SVG text from user data', () => {
  it('escapes XML specials and shows control characters as escapes', () => {
    expect(svgText('a<b>&"c\'\u001b')).toBe('a&lt;b&gt;&amp;&quot;c&apos;\\x1b');
  });

  it('keeps repeated candidate labels apart', () => {
    expect(uniqueLabels(['CE', 'CE', 'Dice', 'CE'])).toEqual(['CE', 'CE (2)', 'Dice', 'CE (3)']);
  });
});

describe('charts', () => {
  it('draws every candidate\'s loss curve, skips non-finite losses and escapes labels', async () => {
    const svg = await lossCurvesSvg([
      { label: 'Cross-entropy', losses: [1, 0.8, 0.6, 0.5], steps: 8 },
      { label: HOSTILE, losses: [0.9, Number.NaN, Number.POSITIVE_INFINITY], steps: 3 },
    ]);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; \\x1b[31m');
    // One line per candidate, with as many vertices as finite points.
    const lines = [...svg.matchAll(/class="mark-line role-mark"[^>]*><path[^>]* d="([^"]+)"/g)].map((m) => m[1].split(/[ML]/).filter(Boolean).length);
    expect(lines.sort()).toEqual([1, 4]);
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    expect((await sharp(png).metadata()).width).toBeGreaterThan(600);
  });

  it('draws a bar per candidate and metric at its value, and whiskers only where there is a CI', async () => {
    const svg = await metricBarsSvg(
      [
        { metric: 'mean Dice', candidate: 'A', value: 0.5, ci95: [0.4, 0.6] },
        { metric: 'mean Dice', candidate: HOSTILE, value: 0.25, ci95: null },
        { metric: 'objects found', candidate: 'A', value: 0.75, ci95: [0.7, 0.8] },
        { metric: 'objects found', candidate: HOSTILE, value: 1, ci95: [0.9, 1] },
      ],
      ['A', HOSTILE],
    );
    expect(svg).not.toContain('<script');
    // Bars are paths "Mx,yhWvHh-WZ" in a 300 px high plot with the value axis 0..1.
    const heights = [...svg.matchAll(/<path d="M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)h/g)].map((m) => Number(m[2]));
    expect(heights.map((h) => Math.round(h))).toEqual([150, 75, 225, 300]);
    const ruleGroups = [...svg.matchAll(/class="mark-rule role-mark"[^>]*>(.*?)<\/g>/g)].map((m) => m[1]);
    const invisible = ruleGroups.join('').match(/stroke-opacity="0"/g) ?? [];
    expect(invisible).toHaveLength(3); // the whisker and both caps of the bar without a CI
  });

  it('takes its data from a verification report', () => {
    const series = lossSeriesOf(verificationFixture);
    expect(series.map((s) => s.label)).toEqual(['recommended', 'CE', 'Focal γ2', 'Dice (diverged)']);
    const { bars, candidates } = metricBarsOf(verificationFixture);
    expect(candidates).toEqual(['recommended', 'CE', 'Focal γ2']);
    expect([...new Set(bars.map((b) => b.metric))]).toEqual(['mean Dice', 'rarest-class recall', 'Boundary IoU', 'objects found', 'found <100 px']);
    expect(bars.find((b) => b.metric === 'found <100 px' && b.candidate === 'CE')!.value).toBe(0.48);
  });
});

describe('contact sheet', () => {
  it('lays out image | truth | candidates per row, scaled with nearest neighbour, with a legend', async () => {
    const images = [image('a'), image('b')];
    const png = await contactSheetPng({
      images,
      candidates: [
        { label: 'all background', predictions: images.map((im) => new Uint8Array(im.labels.length)) },
        { label: HOSTILE, predictions: images.map((im) => im.labels) },
      ],
      classNames: ['background', 'road', 'car <&>'],
      numClasses: 3,
    });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // 4 columns of 200x150 tiles, 8 px apart, 12 px margins.
    expect(info.width).toBe(12 * 2 + 4 * 200 + 3 * 8);
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const rowTop = 12 + 3 * 17 + 10; // three header lines: the hostile label wraps
    const column = (k: number) => 12 + k * 208;
    const painted = (c: number) => Array.from(blendOverlay({ width: 1, height: 1, channels: 3, pixels: Uint8Array.of(100, 100, 100) }, [c], 3));
    expect(at(column(0) + 50, rowTop + 30)).toEqual([100, 100, 100]); // the image: unpainted
    expect(at(column(1) + 50, rowTop + 30)).toEqual(painted(1)); // truth: class 1 on the left
    expect(at(column(1) + 150, rowTop + 120)).toEqual(painted(2)); // class 2 bottom right
    expect(at(column(2) + 50, rowTop + 30)).toEqual([100, 100, 100]); // all-background prediction
    expect(at(column(3) + 150, rowTop + 120)).toEqual(painted(2)); // second candidate = truth
    // The legend swatches carry the class colours.
    let found = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        const px = at(x, y);
        if (px.join() === classColour(2).join()) found++;
      }
    }
    expect(found).toBeGreaterThan(100);
  });

  it('paints class 0 when the background is another id (or none), leaves the background unpainted, colours distinct', () => {
    const grey = { width: 1, height: 1, channels: 3, pixels: Uint8Array.of(100, 100, 100) };
    const paint = (c: number, numClasses: number, background?: number) => Array.from(blendOverlay(grey, [c], numClasses, background));
    // default: class 0 is the background
    expect(paint(0, 4)).toEqual([100, 100, 100]);
    expect(paint(1, 4)).not.toEqual([100, 100, 100]);
    // --background 2: class 0 painted, class 2 not, and 0, 1, 3 in three different colours
    expect(paint(2, 4, 2)).toEqual([100, 100, 100]);
    const painted = [0, 1, 3].map((c) => paint(c, 4, 2).join());
    expect(painted).not.toContain([100, 100, 100].join());
    expect(new Set(painted).size).toBe(3);
    // --background none (Cityscapes trainIds): every class painted, each its own colour
    const all = [0, 1, 2, 3].map((c) => paint(c, 4, -1).join());
    expect(all).not.toContain([100, 100, 100].join());
    expect(new Set(all).size).toBe(4);
    // the default's colours are unchanged (class c in palette entry c - 1)
    expect(classColour(1)).toEqual(classColour(1, 0));
    expect(classColour(0, -1)).toEqual(classColour(1, 0));
  });

  it('names the unpainted class in the legend and paints class 0 in the sheet when the background is another id', async () => {
    const images = [image('a')];
    const png = await contactSheetPng({ images, candidates: [{ label: 'truth again', predictions: images.map((im) => im.labels) }], classNames: ['road', 'car', 'void'], numClasses: 3, background: 2 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const colour = classColour(0, 2).join();
    let found = 0;
    for (let i = 0; i < info.width * info.height; i++) if (Array.from(data.subarray(i * info.channels, i * info.channels + 3)).join() === colour) found++;
    expect(found).toBeGreaterThan(100); // class 0's legend swatch (16x16) at least
  });

  it('is written once every candidate predicted, columns in the report\'s order', async () => {
    const dir = await tempDir();
    const pictures = createPredictionPictures(dir, { numClasses: 3, classNames: ['bg', 'road', 'car'], count: 1 });
    const images = [image('val_1'), image('val_2')];
    await pictures.onPredictions({ id: 'ce', label: 'CE' }, images, images.map((im) => im.labels));
    const overlays = await pictures.onPredictions({ id: 'rec', label: 'Recommended' }, images, images.map((im) => new Uint8Array(im.labels.length)));
    expect(overlays).toEqual([join(dir, 'overlays', 'rec', 'val_1.png')]);
    const path = await pictures.writeContactSheet(['rec', 'ce']);
    expect(path).toBe(join(dir, 'pictures', 'contact-sheet.png'));
    const { data, info } = await sharp(path!).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(12 * 2 + 4 * 200 + 3 * 8);
    expect(info.height).toBeLessThan(400); // one row: count = 1
    // Column 3 (rec, all background) unpainted; column 4 (ce) painted like the truth.
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const top = 12 + 17 + 10; // one header line
    expect(at(12 + 2 * 208 + 50, top + 30)).toEqual([100, 100, 100]);
    expect(at(12 + 3 * 208 + 50, top + 30)).not.toEqual([100, 100, 100]);
    expect(await createPredictionPictures(dir, { numClasses: 3, classNames: [], count: 1 }).writeContactSheet()).toBeNull();
  });
});

describe('pictures beside the report', () => {
  it('writeReport writes the charts and links them and the contact sheet from report.md', async () => {
    const dir = await tempDir();
    const verification = { ...verificationFixture, contactSheet: join(dir, 'pictures', 'contact-sheet.png') };
    await writeReport(dir, { profile: profileFixture, recommendation: recommendationFixture, verification });
    for (const name of ['learning-curves.svg', 'learning-curves.png', 'loss-curves.svg', 'loss-curves.png', 'metrics.svg', 'metrics.png']) expect(existsSync(join(dir, 'pictures', name))).toBe(true);
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    // The learning curves come first, right under the verdict's headline.
    expect(md.indexOf('![Learning curves')).toBeGreaterThan(md.indexOf('**Verdict: '));
    expect(md.indexOf('![Learning curves')).toBeLessThan(md.indexOf('## Dataset profile'));
    expect(md).toContain('![Training loss, a panel per candidate](pictures/loss-curves.png)');
    expect(md).toContain('![Headline metrics with 95% CIs](pictures/metrics.png)');
    expect(md).toContain('(pictures/contact-sheet.png)');
    const meta = await sharp(join(dir, 'pictures', 'metrics.png')).metadata();
    expect(meta.format).toBe('png');
  });

  it('reports a chart it cannot write instead of failing', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-a-folder');
    await (await import('node:fs/promises')).writeFile(file, 'x');
    const pictures = await writeVerificationPictures(file, verificationFixture);
    expect(pictures.lossCurves).toBeUndefined();
    expect(pictures.problems!.join('\n')).toMatch(/training-loss chart not written: .*not-a-folder/);
  });
});
