/**
 * report.html and report.md with hostile user text (class names, a candidate label, a rule's
 * rationale, a skipped file's name): shown as text in Markdown, HTML and SVG, never markup, a link
 * or an extra table column; in real headless Chromium the page renders with no console message,
 * its one script (the table sorter, allowed by its hash in the CSP) runs, and nothing from the
 * data runs. Also: the HTML carries the same numbers as the Markdown.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetProfile } from '../../src/contracts/profile.js';
import type { Recommendation } from '../../src/contracts/recommendation.js';
import type { VerificationReport } from '../../src/contracts/verification.js';
import { writeReport } from '../../src/report/write-report.js';
import { profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';
import { chromiumPath, evaluateInChromium, openInChromium, type PageResult } from '../helpers/chromium.js';

const SCRIPT = "<script>document.title='PWNED'</script>";
const IMG = '<img src=x onerror="document.title=\'PWNED\'">';
const LINK = '](javascript:alert(1))';
const PIPE = 'left|right';
const BIDI = 'abc\u202Edef';
const HOSTILE = [SCRIPT, IMG, LINK, PIPE, BIDI];

function hostileContracts(): { profile: DatasetProfile; recommendation: Recommendation; verification: VerificationReport } {
  const rename = (name: string, id: number) => (id >= 1 && id <= HOSTILE.length ? `${name} ${HOSTILE[id - 1]}` : name);
  const profile: DatasetProfile = {
    ...profileFixture,
    classes: profileFixture.classes.map((c) => ({ ...c, name: rename(c.name, c.id) })),
    dataset: { ...profileFixture.dataset, skipped: [{ ...profileFixture.dataset.skipped[0], file: `masks/${SCRIPT}${PIPE}.png` }] },
  };
  const recommendation: Recommendation = {
    ...recommendationFixture,
    trace: recommendationFixture.trace.map((e, k) => (k === 0 ? { ...e, rationale: `${e.rationale} ${IMG} ${LINK}` } : e)),
  };
  const verification: VerificationReport = {
    ...verificationFixture,
    settings: { ...verificationFixture.settings, classNames: verificationFixture.settings.classNames?.map(rename) },
    candidates: verificationFixture.candidates.map((c, k) => ({
      ...c,
      label: k === 1 ? `CE ${SCRIPT} ${LINK} ${PIPE} ${BIDI}` : c.label,
      metrics: c.metrics ? { ...c.metrics, perClass: c.metrics.perClass.map((p) => ({ ...p, name: rename(p.name, p.id) })) } : null,
    })),
  };
  return { profile, recommendation, verification };
}

let dir: string;
let md: string;
let html: string;
let svgs: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segloss-html-'));
  const written = await writeReport(dir, hostileContracts());
  md = await readFile(written.reportPath, 'utf8');
  html = await readFile(written.htmlPath, 'utf8');
  svgs = await Promise.all(['learning-curves', 'metrics', 'loss-curves'].map((n) => readFile(join(dir, 'pictures', `${n}.svg`), 'utf8')));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hostile names in report.md', () => {
  it('are escaped text: no raw tag, link, extra column or bidi override', () => {
    // Outside code spans (where CommonMark shows < literally) no tag is left unescaped.
    expect(md.replace(/`[^`\n]*`/g, '')).not.toMatch(/(?<!\\)<(script|img|\/script)/i);
    expect(md).toContain("\\<script>document.title='PWNED'\\</script>");
    expect(md).toContain('\\<img src=x onerror="document.title=\'PWNED\'">');
    expect(md).not.toMatch(/(?<!\\)\]\(javascript/);
    expect(md).not.toContain('\u202E');
    expect(md).toContain('abc\\\\u202edef');
    // The class table keeps its 7 columns on the row with the pipe in the class name.
    const row = md.split('\n').find((l) => l.startsWith('| 4 |'))!;
    expect(row).toContain('left\\|right');
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(7);
    // The skipped file name in a code span: pipe escaped, tags literal inside the span.
    expect(md).toContain("`masks/<script>document.title='PWNED'</script>left\\|right.png`");
  });
});

describe('hostile names in the SVG pictures', () => {
  it('are XML-escaped text', () => {
    for (const svg of svgs) {
      expect(svg).not.toMatch(/<script|<img|onerror=/);
      expect(svg).not.toContain('\u202E');
    }
  });
});

describe('report.html', () => {
  it('is self-contained: a CSP, no external reference, pictures as data: URIs', () => {
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/)/);
    for (const m of html.matchAll(/<img src="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\/(png|svg\+xml);base64,/);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('\u202E');
  });

  it('carries the same numbers as report.md', () => {
    const numbers = (text: string) => new Set(text.match(/[-+]?\d+\.\d+/g) ?? []);
    const body = html.replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>|<head>[\s\S]*?<\/head>/g, '').replace(/data:[^"]+/g, '').replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
    const text = md.replace(/\\(.)/g, '$1');
    expect([...numbers(text)].filter((n) => !numbers(body).has(n))).toEqual([]);
    expect([...numbers(body)].filter((n) => !numbers(text).has(n))).toEqual([]);
  });

  const chromium = chromiumPath();
  if (!chromium) {
    it.skip('renders in headless Chromium (skipped: no chromium; install it with `apt-get install -y chromium`)', () => {});
    return;
  }
  describe('in headless Chromium', () => {
    let page: PageResult;
    beforeAll(async () => {
      page = await openInChromium(join(dir, 'report.html'));
    }, 90_000);

    it('renders with no console message (no error, no CSP violation)', () => {
      expect(page.console).toEqual([]);
      expect(page.dom).toContain('<h1 id="segloss-report">segloss report</h1>');
    });

    it('runs its own table sorter (allowed by hash) and nothing from the data', () => {
      expect(page.dom).toMatch(/<th[^>]* tabindex="0"/);
      expect(page.dom).toContain('<title>segloss report</title>');
      expect(page.dom).not.toContain('PWNED</title>');
      expect(page.dom.match(/<script/g)).toHaveLength(1);
      expect(page.dom).not.toMatch(/<img(?![^>]*src="data:)/);
      expect(page.dom).not.toMatch(/<[a-z]+[^>]* onerror=/i);
      expect(page.dom).not.toMatch(/href="javascript:/i);
      // The hostile names are there as text.
      expect(page.dom).toContain('&lt;script&gt;document.title=\'PWNED\'&lt;/script&gt;');
      expect(page.dom).toContain('left|right');
    });

    it('sorts a table by the clicked column, numbers by value, and back on a second click', async () => {
      // The profile's class table: column 3 is the pixel share ("98.7%", "0.60%", ...).
      const result = (await evaluateInChromium(
        join(dir, 'report.html'),
        `(() => {
          const table = [...document.querySelectorAll('table')].find((t) => t.tHead.textContent.includes('pixel share'));
          const column = () => [...table.tBodies[0].rows].map((r) => parseFloat(r.cells[2].textContent));
          const before = column();
          table.tHead.rows[0].cells[2].click();
          const ascending = column();
          table.tHead.rows[0].cells[2].click();
          return { before, ascending, descending: column(), sort: table.tHead.rows[0].cells[2].getAttribute('aria-sort') };
        })()`,
        90_000,
      )) as { before: number[]; ascending: number[]; descending: number[]; sort: string };
      expect(result.ascending).toEqual([...result.before].sort((a, b) => a - b));
      expect(result.descending).toEqual([...result.before].sort((a, b) => b - a));
      expect(result.sort).toBe('descending');
    }, 90_000);
  });
});
