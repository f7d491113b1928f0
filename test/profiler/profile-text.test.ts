import { describe, expect, it } from 'vitest';
import { ProfileAccumulator } from '../../src/profiler/aggregate.js';
import { DEFAULT_BOUNDARY_OPTIONS } from '../../src/profiler/boundary.js';
import { measureMask } from '../../src/profiler/mask-stats.js';
import { formatProfileText, formatShare } from '../../src/report/profile-text.js';

function profileOf(withSkipped: boolean) {
  const acc = new ProfileAccumulator();
  const labels = new Uint8Array(100 * 100);
  for (let y = 10; y < 60; y++) labels.fill(1, y * 100 + 10, y * 100 + 60);
  labels[99 * 100 + 99] = 2;
  acc.add(measureMask({ id: 'a', width: 100, height: 100, labels, image: null }, { ignoreIndex: 255, numClasses: 4 }));
  return acc.toProfile(
    {
      root: '/data/roofs',
      imagesDir: null,
      masksDir: '/data/roofs/masks',
      hasImages: false,
      pairsFound: 2,
      ignoreIndex: 255,
      classNames: ['background', 'roof', 'solar panel', 'chimney'],
      numClasses: 4,
      skipped: withSkipped ? [{ file: '/data/roofs/masks/b.png', problem: 'the file is empty (0 bytes)', fix: 're-export the mask' }] : [],
      sample: null,
      boundary: DEFAULT_BOUNDARY_OPTIONS,
    },
    0.5,
  );
}

describe('formatProfileText', () => {
  it('marks the rarest class, names absent classes, explains missing boundary measures and lists skipped files with the fix', () => {
    const text = formatProfileText(profileOf(true), { color: false });
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes('solar panel') && l.includes('rarest'))).toBeDefined();
    expect(lines.find((l) => l.includes('chimney') && l.includes('absent'))).toBeDefined();
    expect(text).toContain('masks only');
    expect(text).toContain('/data/roofs/masks/b.png: the file is empty (0 bytes)');
    expect(text).toContain('fix: re-export the mask');
    expect(text).not.toContain('\u001b[');
    // columns line up: every class row starts its share column at the same offset
    const rows = lines.filter((l) => /^\s+\d+\s{2}/.test(l));
    const ends = rows.map((l) => l.indexOf('%') );
    expect(new Set(ends).size).toBe(1);
  });

  it('uses colour only when asked', () => {
    expect(formatProfileText(profileOf(false), { color: true })).toContain('\u001b[');
  });

  it('formats tiny shares with enough digits', () => {
    expect(formatShare(0.987)).toBe('98.7%');
    expect(formatShare(0.013)).toBe('1.30%');
    expect(formatShare(0.0003)).toBe('0.0300%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(null)).toBe('-');
  });
});
