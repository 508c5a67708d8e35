// A file tree that stays fast with hundreds of thousands of paths: only the
// rows in view exist in the DOM (fixed row height, one spacer), and the
// keyboard works as in a WAI-ARIA tree view.

import { el, humanSize } from './format.js';

const ROW = 26; // px; --row in style.css
const MARK = { added: 'A', modified: 'M', removed: 'D' };

/**
 * Builds nodes from items `{ path, kind, size, link?, change?, layer? }`
 * (paths without a leading `/`). Parent directories missing from the list
 * are made up. A directory's `total` is the size of the files below it.
 */
export function buildTree(items) {
  const root = { name: '', path: '', kind: 'dir', depth: -1, children: new Map(), total: 0, implied: true };
  for (const item of items) {
    const parts = item.path.split('/');
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i];
      let child = node.children.get(name);
      if (!child) {
        child = { name, path: parts.slice(0, i + 1).join('/'), kind: 'dir', depth: i, children: null, total: 0, implied: true };
        node.children.set(name, child);
      }
      if (i === parts.length - 1) Object.assign(child, item, { implied: false });
      if (child.kind === 'dir' && !child.children) child.children = new Map();
      node = child;
    }
  }
  root.count = items.length;
  const finish = (node) => {
    if (!node.children) {
      node.total = node.change === 'removed' ? 0 : node.size ?? 0;
      return node.total;
    }
    const kids = [...node.children.values()];
    // Directories first, then by name (byte order, as `ls` in the C locale).
    kids.sort((a, b) => ((b.kind === 'dir') - (a.kind === 'dir')) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    node.children = kids;
    node.total = kids.reduce((n, k) => n + finish(k), 0);
    return node.total;
  };
  finish(root);
  return root;
}

export class TreeView {
  /**
   * @param {HTMLElement} host  the role=tree element (scrolls)
   * @param {{ onSelect(node), onOpen(node) }} handlers
   */
  constructor(host, { onSelect, onOpen }) {
    this.host = host;
    this.onSelect = onSelect;
    this.onOpen = onOpen;
    this.spacer = el('div', { class: 'tree-spacer', role: 'presentation' });
    host.replaceChildren(this.spacer);
    this.rows = [];
    this.active = -1;
    this.expanded = new Set();
    this.filter = '';
    this.root = null;
    this.frame = 0;
    host.addEventListener('scroll', () => this.schedule());
    host.addEventListener('keydown', (e) => this.key(e));
    host.addEventListener('click', (e) => {
      const row = e.target.closest('.tree-row');
      if (!row) return;
      const i = Number(row.dataset.index);
      if (e.target.closest('.twisty') || (this.rows[i].node.kind === 'dir' && this.active === i)) this.toggle(i);
      this.select(i);
    });
    host.addEventListener('dblclick', (e) => {
      const row = e.target.closest('.tree-row');
      if (row) this.open(Number(row.dataset.index));
    });
    new ResizeObserver(() => this.schedule()).observe(host);
  }

  /** Shows a new tree: all open when small, else its top-level directories. */
  setRoot(root, label) {
    this.root = root;
    const dirs = [];
    const walk = (n) => {
      for (const c of n.children ?? []) {
        if (c.kind === 'dir') {
          dirs.push(c);
          walk(c);
        }
      }
    };
    walk(root);
    this.expanded = new Set((root.count <= 300 ? dirs : dirs.filter((d) => d.depth === 0)).map((d) => d.path));
    this.active = -1;
    this.host.setAttribute('aria-label', label);
    this.refresh();
    this.host.scrollTop = 0;
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.active = -1;
    this.refresh();
  }

  /** Flattens the visible part of the tree into rows. */
  refresh() {
    const rows = [];
    const f = this.filter;
    const matches = (n) => n.path.toLowerCase().includes(f);
    // With a filter: matching nodes and their ancestors, all open.
    const keep = (n) => {
      if (!f) return true;
      if (n._keep !== undefined && n._filter === f) return n._keep;
      const k = matches(n) || (Array.isArray(n.children) && n.children.some(keep));
      n._filter = f;
      n._keep = k;
      return k;
    };
    const walk = (node, level) => {
      if (!node.children) return;
      const kids = node.children.filter(keep);
      kids.forEach((c, i) => {
        rows.push({ node: c, level, setsize: kids.length, pos: i + 1 });
        const open = f ? true : this.expanded.has(c.path);
        if (c.children && open) walk(c, level + 1);
      });
    };
    if (this.root) walk(this.root, 1);
    this.rows = rows;
    this.spacer.style.height = `${rows.length * ROW}px`;
    this.host.removeAttribute('aria-activedescendant');
    this.render();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const top = this.host.scrollTop;
    const height = this.host.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW) - 8);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW) + 8);
    const out = [];
    for (let i = first; i < last; i++) out.push(this.row(i));
    if (this.rows.length === 0) {
      out.push(el('div', { class: 'tree-empty', role: 'presentation' }, this.root ? 'No files match.' : ''));
    }
    this.spacer.replaceChildren(...out);
  }

  row(i) {
    const r = this.rows[i];
    const n = r.node;
    const isDir = n.kind === 'dir';
    const open = isDir && (this.filter !== '' || this.expanded.has(n.path));
    const change = n.change;
    return el('div', {
      class: `tree-row${change === 'removed' ? ' removed' : ''}`,
      id: `tree-row-${i}`,
      role: 'treeitem',
      'aria-level': r.level,
      'aria-setsize': r.setsize,
      'aria-posinset': r.pos,
      'aria-expanded': isDir ? String(!!open) : null,
      'aria-selected': String(i === this.active),
      'data-index': i,
      'data-path': n.path,
      style: { top: `${i * ROW}px`, paddingLeft: `${(r.level - 1) * 16 + 6}px` },
    },
    el('span', { class: 'twisty', 'aria-hidden': 'true' }, isDir ? (open ? '▾' : '▸') : ''),
    change ? el('span', { class: `mark ${change}`, title: change }, MARK[change]) : el('span', { class: 'mark' }, ''),
    el('span', { class: 'name', title: `/${n.path}` },
      el('span', { class: isDir ? 'dir' : '' }, n.name + (isDir ? '/' : '')),
      n.link ? el('span', { class: 'link' }, ` → ${n.link}`) : null),
    el('span', { class: 'size' }, n.kind === 'file' || isDir ? humanSize(isDir ? n.total : n.size) : ''),
    el('span', { class: 'layer', title: n.layer === undefined ? '' : `from layer ${n.layer}` },
      n.layer === undefined ? '' : `L${n.layer}`));
  }

  select(i, focus = true) {
    if (i < 0 || i >= this.rows.length) return;
    this.active = i;
    this.ensureVisible(i);
    this.render();
    this.host.setAttribute('aria-activedescendant', `tree-row-${i}`);
    if (focus) this.host.focus({ preventScroll: true });
    this.onSelect?.(this.rows[i].node);
  }

  /** Selects the row of `path`, opening its parents. */
  reveal(path) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) this.expanded.add(parts.slice(0, i).join('/'));
    this.refresh();
    const i = this.rows.findIndex((r) => r.node.path === path);
    if (i >= 0) this.select(i);
    return i >= 0;
  }

  ensureVisible(i) {
    const top = i * ROW;
    if (top < this.host.scrollTop) this.host.scrollTop = top;
    else if (top + ROW > this.host.scrollTop + this.host.clientHeight) {
      this.host.scrollTop = top + ROW - this.host.clientHeight;
    }
  }

  toggle(i) {
    const n = this.rows[i]?.node;
    if (!n || n.kind !== 'dir') return;
    if (this.expanded.has(n.path)) this.expanded.delete(n.path);
    else this.expanded.add(n.path);
    this.refresh();
  }

  open(i) {
    const n = this.rows[i]?.node;
    if (!n) return;
    if (n.kind === 'dir') this.toggle(i);
    else this.onOpen?.(n);
  }

  key(e) {
    const i = this.active;
    const page = Math.max(1, Math.floor(this.host.clientHeight / ROW) - 1);
    const n = this.rows[i]?.node;
    switch (e.key) {
      case 'ArrowDown': this.select(Math.min(this.rows.length - 1, i + 1)); break;
      case 'ArrowUp': this.select(Math.max(0, i - 1)); break;
      case 'PageDown': this.select(Math.min(this.rows.length - 1, i + page)); break;
      case 'PageUp': this.select(Math.max(0, i - page)); break;
      case 'Home': this.select(0); break;
      case 'End': this.select(this.rows.length - 1); break;
      case 'ArrowRight':
        if (n?.kind === 'dir' && !this.expanded.has(n.path) && !this.filter) {
          this.toggle(i);
          this.select(i);
        } else if (n?.kind === 'dir') this.select(i + 1);
        break;
      case 'ArrowLeft':
        if (n?.kind === 'dir' && this.expanded.has(n.path) && !this.filter) {
          this.toggle(i);
          this.select(i);
        } else {
          const level = this.rows[i]?.level ?? 1;
          for (let j = i - 1; j >= 0; j--) {
            if (this.rows[j].level < level) {
              this.select(j);
              break;
            }
          }
        }
        break;
      case 'Enter': this.open(i); break;
      default: return;
    }
    e.preventDefault();
  }
}
