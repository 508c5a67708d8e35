// The Dockerfile pane: lint as you type (hadolint's rules and BuildKit's
// checks, from the small `layerkit/dockerfile` module), findings with
// their positions, and buttons that apply a finding's fix.

// `layerkit/dockerfile/web`: the parse + lint module, half the size of the full one.
import init, { lint, parseDockerfile, rules } from './vendor/layerkit/web/dockerfile.js';
import { el } from './format.js';

const STORE = 'layerkit.dockerfile';
const EXAMPLE = `# syntax=docker/dockerfile:1
# Edit me: findings update as you type.
FROM golang:1.22-alpine as build
WORKDIR /src
COPY . .
RUN go build -o /out/app ./cmd/app

FROM debian
MAINTAINER someone@example.com
RUN apt-get update && apt-get install -y curl
COPY --from=build /out/app /usr/local/bin/app
ENTRYPOINT /usr/local/bin/app
`;

/** The JS string index of a 1-based line and column (columns count code points). */
export function offsetOf(text, line, column) {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  for (let c = 1; c < column && at < text.length && text[at] !== '\n'; c++) {
    at += text.codePointAt(at) > 0xffff ? 2 : 1;
  }
  return at;
}

/** Applies edits (JS string ranges that do not overlap), last first. */
function applyEdits(textarea, edits) {
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    textarea.setRangeText(e.text, e.start, e.end, 'end');
  }
  textarea.dispatchEvent(new Event('input'));
}

export async function setupDockerfile({ textarea, gutter, list, stats, fixAll }) {
  await init();
  const catalog = new Map(rules().map((r) => [r.code, r]));
  let saved = null;
  try {
    saved = localStorage.getItem(STORE);
  } catch {
    // storage may be off; the example it is
  }
  textarea.value = saved ?? EXAMPLE;

  let findings = [];
  let frame = 0;

  const select = (f) => {
    const text = textarea.value;
    textarea.focus();
    textarea.setSelectionRange(offsetOf(text, f.line, f.column), offsetOf(text, f.endLine, f.endColumn));
    // Bring the line into view: 20px per line (style.css).
    textarea.scrollTop = Math.max(0, (f.line - 3) * 20);
  };

  const render = () => {
    const text = textarea.value;
    findings = lint(text);
    const parsed = parseDockerfile(text);
    const stages = parsed.instructions.filter((i) => i.cmd === 'FROM').length;
    const lines = text.split('\n').length;
    stats.textContent = `${lines} lines · ${parsed.instructions.length} instructions · ${stages} ${stages === 1 ? 'stage' : 'stages'} · ` +
      `${findings.length} ${findings.length === 1 ? 'finding' : 'findings'}`;

    // Line numbers, marked where something was found.
    const worst = new Map();
    for (const f of findings) {
      const w = f.severity === 'error' ? 'bad' : 'warn';
      if (worst.get(f.line) !== 'bad') worst.set(f.line, w);
    }
    gutter.replaceChildren(...Array.from({ length: lines }, (_, i) =>
      el('span', { class: worst.get(i + 1) }, `${i + 1}\n`)));
    gutter.scrollTop = textarea.scrollTop;

    fixAll.disabled = !findings.some((f) => f.fix);
    if (findings.length === 0) {
      list.replaceChildren(el('li', { class: 'ok' }, 'No findings: nothing to fix.'));
      return;
    }
    list.replaceChildren(...findings.map((f) => {
      const rule = catalog.get(f.code);
      return el('li', { 'data-code': f.code },
        el('div', { class: 'finding-head' },
          el('span', { class: `sev ${f.severity}` }, f.severity),
          rule ? el('a', { href: rule.url, target: '_blank', rel: 'noreferrer', title: rule.summary }, f.code)
            : el('strong', { class: 'mono' }, f.code),
          el('button', {
            type: 'button', class: 'where',
            'aria-label': `Go to line ${f.line}, column ${f.column}`,
            onclick: () => select(f),
          }, `${f.line}:${f.column}`)),
        el('p', { class: 'finding-msg' }, f.message),
        f.fix ? el('div', { class: 'finding-fix' },
          el('button', { type: 'button', class: 'small', onclick: () => applyEdits(textarea, f.fix.edits) },
            `Fix: ${f.fix.title}`)) : null);
    }));
  };

  textarea.addEventListener('input', () => {
    try {
      localStorage.setItem(STORE, textarea.value);
    } catch {
      // not kept, then
    }
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    }
  });
  textarea.addEventListener('scroll', () => {
    gutter.scrollTop = textarea.scrollTop;
  });
  // Tab indents instead of leaving the editor; Escape then Tab leaves it.
  let escaped = false;
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') escaped = true;
    else if (e.key === 'Tab' && !escaped && !e.shiftKey) {
      e.preventDefault();
      textarea.setRangeText('\t', textarea.selectionStart, textarea.selectionEnd, 'end');
      textarea.dispatchEvent(new Event('input'));
    } else escaped = false;
  });
  // A Dockerfile dropped on the editor replaces its text.
  textarea.addEventListener('dragover', (e) => e.preventDefault());
  textarea.addEventListener('drop', async (e) => {
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    textarea.value = await file.text();
    textarea.dispatchEvent(new Event('input'));
  });

  // Every fix that does not overlap another, again until none is left.
  fixAll.addEventListener('click', () => {
    for (let round = 0; round < 20; round++) {
      const edits = [];
      for (const f of lint(textarea.value)) {
        if (!f.fix) continue;
        const clash = f.fix.edits.some((e) => edits.some((d) => e.start < d.end && d.start < e.end));
        if (!clash) edits.push(...f.fix.edits);
      }
      if (edits.length === 0) break;
      for (const e of edits.sort((a, b) => b.start - a.start)) textarea.setRangeText(e.text, e.start, e.end, 'end');
    }
    textarea.dispatchEvent(new Event('input'));
  });

  render();
}
