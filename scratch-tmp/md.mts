import { markdownText } from '../src/report/document.ts';
for (const t of ['-0.044', '- x', '> q', '>x', '1. a', 'a < 0.01', '<100 px', '<script>alert(1)</script>', '&lt;', 'a & b', '<img src=x onerror=alert(1)>', '<!-- x -->', '<http://x>']) console.log(JSON.stringify(t), '=>', markdownText(t));
