/**
 * The report as a small document model (headings, paragraphs, lists, tables, images, quotes, with
 * bold, code and links inside), rendered to Markdown (report.md) and to HTML (report.html) from the
 * same blocks, so both carry the same numbers. Every string in the model is plain text: the
 * renderers escape it for their format (Markdown backslash escapes, HTML entities) after showing
 * control and bidi characters as visible escapes (safeLine). So a class name such as
 * `<img src=x onerror=alert(1)>`, `](javascript:alert(1))` or `a|b` is shown as those characters
 * and never becomes markup, a link or a table column. Links and images take only relative paths
 * written by segloss or data: URIs made by the HTML writer; anything with a scheme is dropped.
 */
import { safeLine } from '../common/safe-text.js';

export type Inline = string | { bold: Rich } | { code: string } | { link: string; text: string };
export type Rich = Inline | readonly Inline[];

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: Rich; id?: string }
  | { kind: 'paragraph'; text: Rich }
  | { kind: 'list'; items: Rich[]; ordered?: boolean }
  | { kind: 'quote'; lines: Rich[] }
  | { kind: 'table'; header: Rich[]; rows: Rich[][]; rightAligned?: boolean[] }
  | { kind: 'image'; alt: string; src: string; caption?: Rich };

export const bold = (text: Rich): Inline => ({ bold: text });
export const code = (text: string): Inline => ({ code: text });
export const link = (text: string, href: string): Inline => ({ link: href, text });

function inlines(text: Rich): readonly Inline[] {
  return Array.isArray(text) ? text : [text as Inline];
}

/** The text of rich content without markup (for tests, alt texts and sorting keys). */
export function plainText(text: Rich): string {
  return inlines(text)
    .map((part) => (typeof part === 'string' ? part : 'bold' in part ? plainText(part.bold) : 'code' in part ? part.code : part.text))
    .join('');
}

/** A relative path segloss wrote (no scheme, no leading slash or backslash); null otherwise. */
export function safeRelativePath(path: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.startsWith('\\') || /[\u0000-\u001f\u007f]/.test(path)) return null;
  return path;
}

// ---------------------------------------------------------------- Markdown

/**
 * What has a meaning anywhere in CommonMark/GFM inline text, escaped with a backslash: emphasis,
 * code, link brackets, table pipes, strikethrough, GitHub's $ math, a `<` that could open a tag or
 * an autolink, an `&` that could start an entity. (`a < b` and `<100 px` stay as they are.)
 */
const MD_SPECIAL = /[\\`*_[\]|~$]|<(?=[A-Za-z/!?])|&(?=#?\w+;)/g;
/** What would start a block (heading, list, quote, rule) when it comes first on a line. */
const MD_LEADING = /^(\s*)(>|(?:[#+-]+|=+|\d+[.)])(?=\s|$))/;

/**
 * User text as Markdown inline text, shown literally by any CommonMark/GFM renderer (a backslash
 * before ASCII punctuation is always an escape). Block starts get atBlockStart as well.
 */
export function markdownText(text: string): string {
  return safeLine(text).replace(MD_SPECIAL, (ch) => `\\${ch}`);
}

/** Rendered inline Markdown that starts a block (a paragraph, list item, quote line): a leading block marker escaped. */
function atBlockStart(rendered: string): string {
  return rendered.replace(MD_LEADING, (_, space: string, lead: string) => `${space}${/^\d/.test(lead) ? lead.replace(/[.)]$/, (ch) => `\\${ch}`) : `\\${lead}`}`);
}

/** A code span that holds any text: a fence longer than any backtick run inside it; pipes escaped for tables. */
function markdownCode(text: string): string {
  const clean = safeLine(text);
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') || clean === '' ? ' ' : '';
  return `${fence}${pad}${clean.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A link destination: percent-encoded so no character can end it or open another construct. */
function markdownHref(path: string): string {
  return encodeURI(path).replace(/[()[\]<>'"]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function inlineMarkdown(text: Rich): string {
  return inlines(text)
    .map((part) => {
      if (typeof part === 'string') return markdownText(part);
      if ('bold' in part) return `**${inlineMarkdown(part.bold)}**`;
      if ('code' in part) return markdownCode(part.code);
      const href = safeRelativePath(part.link);
      return href === null ? markdownText(part.text) : `[${markdownText(part.text)}](${markdownHref(href)})`;
    })
    .join('');
}

export function toMarkdown(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${inlineMarkdown(block.text)}`, '');
        break;
      case 'paragraph':
        out.push(atBlockStart(inlineMarkdown(block.text)), '');
        break;
      case 'list':
        block.items.forEach((item, i) => out.push(`${block.ordered ? `${i + 1}.` : '-'} ${atBlockStart(inlineMarkdown(item))}`));
        out.push('');
        break;
      case 'quote':
        out.push(block.lines.map((line) => `> ${atBlockStart(inlineMarkdown(line))}`).join('\n>\n'), '');
        break;
      case 'table': {
        const row = (cells: readonly Rich[]) => `| ${cells.map(inlineMarkdown).join(' | ')} |`;
        out.push(row(block.header), `| ${block.header.map((_, i) => (block.rightAligned?.[i] ? '---:' : '---')).join(' | ')} |`, ...block.rows.map(row), '');
        break;
      }
      case 'image': {
        const src = safeRelativePath(block.src);
        if (src !== null) out.push(`![${markdownText(block.alt)}](${markdownHref(src)})`, '');
        if (block.caption) out.push(atBlockStart(inlineMarkdown(block.caption)), '');
        break;
      }
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

// ---------------------------------------------------------------- HTML

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** User text as HTML text or a quoted attribute value. */
export function htmlText(text: string): string {
  return safeLine(text).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch]);
}

/** An image source for the HTML report: a data: URI made by the writer, or a safe relative path. */
export type ImageSource = (relativePath: string) => string | null;

function inlineHtml(text: Rich, images: ImageSource): string {
  return inlines(text)
    .map((part) => {
      if (typeof part === 'string') return htmlText(part);
      if ('bold' in part) return `<strong>${inlineHtml(part.bold, images)}</strong>`;
      if ('code' in part) return `<code>${htmlText(part.code)}</code>`;
      const href = safeRelativePath(part.link);
      if (href === null) return htmlText(part.text);
      // A linked file that is embedded (an SVG) opens from its data URI; the rest stay relative.
      const target = /\.(svg|png)$/i.test(href) ? (images(href) ?? encodeURI(href)) : encodeURI(href);
      return `<a href="${htmlText(target)}">${htmlText(part.text)}</a>`;
    })
    .join('');
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export function toHtmlBody(blocks: readonly Block[], images: ImageSource): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.kind) {
      case 'heading': {
        const id = block.id ?? slug(plainText(block.text));
        out.push(`<h${block.level} id="${htmlText(id)}">${inlineHtml(block.text, images)}</h${block.level}>`);
        break;
      }
      case 'paragraph':
        out.push(`<p>${inlineHtml(block.text, images)}</p>`);
        break;
      case 'list': {
        const tag = block.ordered ? 'ol' : 'ul';
        out.push(`<${tag}>${block.items.map((item) => `<li>${inlineHtml(item, images)}</li>`).join('')}</${tag}>`);
        break;
      }
      case 'quote':
        out.push(`<blockquote>${block.lines.map((line) => `<p>${inlineHtml(line, images)}</p>`).join('')}</blockquote>`);
        break;
      case 'table': {
        const align = (i: number) => (block.rightAligned?.[i] ? ' class="num"' : '');
        const head = block.header.map((h, i) => `<th${align(i)}>${inlineHtml(h, images)}</th>`).join('');
        const body = block.rows.map((row) => `<tr>${row.map((c, i) => `<td${align(i)}>${inlineHtml(c, images)}</td>`).join('')}</tr>`).join('\n');
        out.push(`<table class="sortable"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`);
        break;
      }
      case 'image': {
        const src = safeRelativePath(block.src) === null ? null : images(block.src);
        if (src !== null) out.push(`<figure><img src="${htmlText(src)}" alt="${htmlText(block.alt)}">${block.caption ? `<figcaption>${inlineHtml(block.caption, images)}</figcaption>` : ''}</figure>`);
        else if (block.caption) out.push(`<p>${inlineHtml(block.caption, images)}</p>`);
        break;
      }
    }
  }
  return out.join('\n');
}
