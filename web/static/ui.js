// Small helpers to build the pages: elements, formats, tables, charts and
// messages.

import { download, LoggedOut } from './api.js';

// h('table.grid#id', {props}, ...children) builds an element. Props that
// start with "on" are listeners, "data" an object of data attributes, and
// the others attributes (true for a bare one, false/null for none).
export function h(spec, props, ...children) {
  const [, tag, rest] = /^([a-z0-9]+)(.*)$/.exec(spec);
  const svg = ['svg', 'g', 'rect', 'text', 'line', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [, kind, name] of rest.matchAll(/([.#])([^.#]+)/g)) {
    if (kind === '.') el.classList.add(name);
    else el.id = name;
  }
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = null;
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'data') Object.assign(el.dataset, v);
    else if (k === 'class') el.classList.add(...String(v).split(' ').filter(Boolean));
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  add(el, children);
  return el;
}

// add appends children to el: nodes, text, and lists of them; null and
// false are left out.
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

// num shows a decimal from the API (amounts, points, scores, rates, all
// with at most two decimals) as it is: thousands separators, at least two
// decimals, and never rounded; — when there is none. Nothing shown is
// computed here: the numbers are the engine's.
export function num(v) {
  if (v == null || v === '') return '—';
  const s = String(v).trim();
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = ''] = m;
  return (sign === '-' ? '-' : '') + int.replace(/\B(?=(\d{3})+$)/g, ',') + '.' + frac.padEnd(2, '0');
}
export const signed = (v) => (v == null ? '—' : (v > 0 ? '+' : '') + num(v));
export const short = (hash) => (hash ? hash.slice(0, 12) : '');

export function time(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', { hour12: false });
}

// The two execution rates are labelled apart wherever they are shown: the
// computed one is the engine's, recorded with the score; the stated one is
// what the unit filled in.
export const COMPUTED_RATE = '计算执行率（%）';
export const STATED_RATE = '填报执行率（%）';
export const COMPUTED_RATE_NOTE = '计算执行率：评分引擎按规则集定义的执行率公式计算，四舍五入保留两位小数，随正式评分结果保存；不是单位填报的执行率。';
export const STATED_RATE_NOTE = '填报执行率：项目单位填报的执行率，原样显示。';

export const GRADES = ['优', '良', '中', '差'];
const gradeClass = { 优: 'g1', 良: 'g2', 中: 'g3', 差: 'g4' };

export function badge(grade) {
  if (!grade) return h('span.badge.none', '未评分');
  return h('span.badge', { class: gradeClass[grade] || 'g0' }, grade);
}

export const card = (title, ...body) => h('section.card', title ? h('h2', title) : null, ...body);
export const wrap = (table) => h('div.table-wrap', table);

// table builds a table. Columns: {label, value(row), cell(row)?, num?,
// sort?, title?}; title is the header's tooltip. Sortable tables sort on a
// header click, numbers and text alike.
export function table(columns, rows, { sortable = false, sortBy, empty = '无数据', rowProps, id } = {}) {
  let key = sortBy ? columns.findIndex((c) => c.label === sortBy.label) : -1;
  let dir = sortBy?.dir || 1;
  const tbody = h('tbody');
  const heads = columns.map((c, i) =>
    h('th', { class: c.num ? 'num' : null, scope: 'col', title: c.title },
      sortable && c.sort !== false
        ? h('button.sort', { type: 'button', onclick: () => { dir = key === i ? -dir : 1; key = i; fill(); } }, c.label, h('span.arrow'))
        : c.label));
  function fill() {
    const list = [...rows];
    if (key >= 0) {
      const v = columns[key].value;
      list.sort((a, b) => dir * compare(v(a), v(b)));
    }
    heads.forEach((th, i) => {
      th.setAttribute('aria-sort', i === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    });
    clear(tbody, list.length ? list.map((r) =>
      h('tr', rowProps ? rowProps(r) : null, columns.map((c) =>
        h('td', { class: c.num ? 'num' : c.class }, c.cell ? c.cell(r) : fmt(c, c.value(r))))))
      : h('tr', h('td.empty', { colspan: columns.length }, empty)));
  }
  fill();
  return wrap(h('table.grid', { id }, h('thead', h('tr', heads)), tbody));
}

const fmt = (c, v) => (c.num ? num(v) : v ?? '—');

function compare(a, b) {
  if (a == null || a === '') return b == null || b === '' ? 0 : 1;
  if (b == null || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'zh-CN', { numeric: true });
}

// barChart draws grade counts as bars: one series, or two side by side
// (before and after). series: [{label, counts: {grade: n}}].
export function barChart(grades, series, title) {
  const W = 480, H = 190, left = 36, bottom = 28, top = 20;
  const max = Math.max(1, ...series.flatMap((s) => grades.map((g) => s.counts[g] || 0)));
  const step = niceStep(max);
  const ymax = Math.ceil(max / step) * step;
  const plotH = H - top - bottom;
  const groupW = (W - left - 10) / grades.length;
  const barW = Math.min(56, (groupW - 16) / series.length);
  const y = (v) => top + plotH - (v / ymax) * plotH;
  const svg = h('svg.chart', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  svg.append(h('title', title));
  for (let v = 0; v <= ymax; v += step) {
    svg.append(h('line.gridline', { x1: left, x2: W - 6, y1: y(v), y2: y(v) }),
      h('text.axis', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
  }
  grades.forEach((g, i) => {
    const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, j) => {
      const n = s.counts[g] || 0;
      const cls = series.length > 1 ? `bar s${j}` : `bar ${gradeClass[g] || 'g0'}`;
      svg.append(h('rect', { class: cls, x: x0 + j * barW + 1, y: y(n), width: barW - 2, height: Math.max(0, y(0) - y(n)) },
        h('title', `${s.label} ${g}：${n}`)));
      svg.append(h('text.value', { x: x0 + j * barW + barW / 2, y: y(n) - 4, 'text-anchor': 'middle' }, n));
    });
    svg.append(h('text.label', { x: left + i * groupW + groupW / 2, y: H - 10, 'text-anchor': 'middle' }, g));
  });
  const legend = series.length > 1
    ? h('div.legend', series.map((s, j) => h('span', h('i', { class: `s${j}` }), s.label)))
    : null;
  return h('figure.chart-box', svg, legend);
}

function niceStep(max) {
  for (const s of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]) if (max / s <= 6) return s;
  return Math.ceil(max / 6);
}

export function countGrades(grades) {
  const counts = {};
  for (const g of grades) if (g) counts[g] = (counts[g] || 0) + 1;
  return counts;
}

// problemBox shows an API problem: its message and each located error.
export function problemBox(err, title = '操作未完成') {
  if (err instanceof LoggedOut) return null;
  const status = err.status ? `（HTTP ${err.status}）` : '';
  const box = h('div.alert.error', { role: 'alert' }, h('strong', title + status + '：'), h('span.detail', err.message));
  if (err.errors?.length) {
    box.append(h('ul.errors', err.errors.map((e) =>
      h('li', e.field ? h('code.where', e.field) : null, e.project ? h('span.project', e.project) : null, h('span', e.message)))));
  }
  return box;
}

export const note = (text, kind = 'info') => h('div.alert', { class: kind, role: 'status' }, text);

// run calls fn with the button disabled, and shows a failure in out.
export async function busy(button, out, fn) {
  button.disabled = true;
  const label = button.textContent;
  button.textContent = label + '…';
  try {
    await fn();
  } catch (e) {
    if (out) clear(out, problemBox(e));
    else if (!(e instanceof LoggedOut)) throw e;
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

// downloadLink is a link to an API file; a click fetches it with the key.
export function downloadLink(href, label, id) {
  const msg = h('span.download-msg', { role: 'status' });
  const a = h('a.button.secondary', {
    href, id,
    onclick: async (ev) => {
      ev.preventDefault();
      clear(msg);
      try {
        await download(href);
      } catch (e) {
        if (!(e instanceof LoggedOut)) clear(msg, e.status === 404 ? '暂不可下载：' + e.message : '下载失败：' + e.message);
      }
    },
  }, label);
  return h('span.download', a, msg);
}

export function select(options, value, props = {}) {
  return h('select', props, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
}

// fileInput is a file chooser labelled in Chinese whatever the browser's
// language; the input itself stays for keyboards and tests.
export function fileInput(id, accept) {
  const input = h('input.visually-hidden', { type: 'file', id, accept });
  const name = h('span.file-name', '未选择文件');
  input.addEventListener('change', () => { name.textContent = input.files[0]?.name || '未选择文件'; });
  return h('label.file-picker', input, h('span.button.secondary', '选择文件…'), name);
}

// field labels a control; a control that is a label already gets a box.
export const field = (label, control, hint) =>
  h(control instanceof HTMLLabelElement ? 'div.field' : 'label.field', h('span.label', label), control, hint ? h('span.hint', hint) : null);
