import { describe, expect, it } from 'vitest';
import type { VerificationReport } from '../../src/contracts/verification.js';
import { objectComparisonSentences } from '../../src/metrics/object-comparison.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { objectMetricRows } from '../../src/report/object-rows.js';
import { formatVerificationText } from '../../src/report/verification-text.js';
import { metricsTableLines } from '../../src/ui/views/verify-lines.js';
import { profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';

const [combo, ce] = verificationFixture.candidates;
const comboObjects = { label: combo.label, objects: combo.metrics!.objects! };
const ceObjects = { label: ce.label, objects: ce.metrics!.objects! };

/** The fixture as written before object metrics existed. */
const withoutObjects: VerificationReport = {
  ...verificationFixture,
  candidates: verificationFixture.candidates.map((c) => (c.metrics ? { ...c, metrics: { ...c.metrics, objects: undefined } } : c)),
};

describe('object comparison sentences', () => {
  it('cite small-object detection and spurious objects, and say when the CIs overlap', () => {
    const sentences = objectComparisonSentences(comboObjects, ceObjects);
    expect(sentences).toEqual([
      'Combo 0.7 Dice + 0.3 CE finds 67% of small objects (<100 px) vs 48% for Cross-entropy (IoU > 0.5, 48 objects; their 95% CIs overlap: not a clear difference).',
      'Combo 0.7 Dice + 0.3 CE predicts 1.25 spurious objects per image vs 3.50 for Cross-entropy, 64% fewer (their 95% CIs do not overlap).',
    ]);
  });

  it('use a paired CI of the difference when one is given', () => {
    const sentences = objectComparisonSentences(comboObjects, ceObjects, (statistic) => (statistic === 'detectionRate:0' ? [0.05, 0.31] : statistic === 'spuriousPerImage' ? [-2, 0.4] : null));
    expect(sentences[0]).toContain('(IoU > 0.5, 48 objects; difference +19 points, 95% CI +5 to +31 points)');
    expect(sentences[1]).toContain('(within the noise: 95% CI -2.00 to +0.40 for the difference)');
  });

  it('name the largest objects too when their rates differ, and skip rates that read the same', () => {
    const better = { ...ceObjects.objects, byArea: ceObjects.objects.byArea.map((b, bin) => (bin === 2 ? { ...b, detectionRate: { value: 0.5, ci95: null } } : b)) };
    const sentences = objectComparisonSentences(comboObjects, { label: 'X', objects: better });
    expect(sentences[1]).toBe('Combo 0.7 Dice + 0.3 CE finds 92% of objects of 1k-10k px vs 50% for X (IoU > 0.5, 12 objects; too few validation images for a CI).');
    expect(objectComparisonSentences(comboObjects, comboObjects)).toEqual([]);
  });

  it('are empty when there is nothing to compare', () => {
    const none = { ...comboObjects.objects, byArea: comboObjects.objects.byArea.map((b) => ({ ...b, objects: 0, detectionRate: null })), spuriousPerImage: { value: 0, ci95: null } };
    expect(objectComparisonSentences({ label: 'a', objects: none }, { label: 'b', objects: none })).toEqual([]);
  });
});

describe('object metrics in the verify table, the text and report.md', () => {
  it('rows: found, touched, each populated area bin, spurious; none for an old report', () => {
    expect(objectMetricRows(verificationFixture, 'full').map((r) => r.long)).toEqual(['objects found', 'objects touched', 'found <100 px', 'found 100-1k px', 'found 1k-10k px', 'spurious / image', 'spurious / 1k fg px']);
    expect(objectMetricRows(verificationFixture, 'brief').map((r) => r.short)).toEqual(['objects found', 'found<100', 'spurious/img']);
    expect(objectMetricRows(withoutObjects, 'full')).toEqual([]);
  });

  it('the Ink table shows them, best spurious = fewest', () => {
    const lines = metricsTableLines(verificationFixture, 120);
    const text = lines.map((line) => line.map((s) => s.text).join(''));
    const spurious = lines.find((line) => line[0].text.startsWith('spurious / image'))!;
    expect(spurious.find((s) => s.text.trim() === '1.250')!.role).toBe('good');
    expect(spurious.find((s) => s.text.trim() === '3.500')!.role).toBeUndefined();
    expect(text.some((t) => t.startsWith('found <100 px') && t.includes('0.670') && t.includes('0.480'))).toBe(true);
    expect(text.join('\n')).toContain('found: IoU > 0.5 with a ground-truth object');
    expect(metricsTableLines(withoutObjects, 120).map((line) => line.map((s) => s.text).join('')).join('\n')).not.toContain('objects found');
  });

  it('the plain text lists every row with its CI and the objects per bin', () => {
    const text = formatVerificationText(verificationFixture, { color: false });
    expect(text).toMatch(/found <100 px \(48\)\s+0\.670\s+0\.480/);
    expect(text).toMatch(/spurious \/ image\s+1\.250\s+3\.500/);
    expect(text).toContain('0.570-0.770');
    expect(text).not.toContain('found >=10k');
    expect(formatVerificationText(withoutObjects, { color: false })).not.toContain('objects found');
  });

  it('report.md has the rows, the comparison sentences and a per-class table', () => {
    const md = renderReportMarkdown({ profile: profileFixture, recommendation: recommendationFixture, verification: verificationFixture });
    expect(md).toContain('| found <100 px (48 objects) | **0.670 (0.570-0.770)** | 0.480 (0.380-0.580) |');
    expect(md).toContain('| spurious / image | **1.250 (0.750-1.750)** | 3.500 (2.100-4.900) |');
    expect(md).toContain('### Objects');
    expect(md).toContain('- recommended finds 67% of small objects (<100 px) vs 48% for CE');
    expect(md).toMatch(/\| class \| recommended \| CE \|/);
    const old = renderReportMarkdown({ profile: profileFixture, recommendation: recommendationFixture, verification: withoutObjects });
    expect(old).not.toContain('### Objects');
    expect(old).not.toContain('objects found');
  });

  it('report.md links the pictures it is given, and names those that failed', () => {
    const md = renderReportMarkdown({
      profile: profileFixture,
      recommendation: recommendationFixture,
      verification: verificationFixture,
      pictures: { lossCurves: { png: 'pictures/loss-curves.png', svg: 'pictures/loss-curves.svg' }, metrics: { png: 'pictures/metrics.png', svg: 'pictures/metrics.svg' }, contactSheets: ['pictures/contact sheet.png'], problems: ['metrics chart not written: disk full'] },
    });
    expect(md).toContain('## Pictures');
    expect(md).toContain('![Training loss, a panel per candidate](pictures/loss-curves.png)');
    expect(md).toContain('([SVG](pictures/metrics.svg))');
    expect(md).toContain('(pictures/contact%20sheet.png)');
    expect(md).toContain('- metrics chart not written: disk full');
  });
});
