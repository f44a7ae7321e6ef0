// 规则集: the active rule sets, their files, versions and uploads.

import { api } from './api.js';
import { h, add, clear, card, table, note, problemBox, busy, time, short, field, fileInput } from './ui.js';
import { ruleSets, matrixTable } from './shared.js';
import { diffLines, hunks } from './diff.js';

const sources = { builtin: '内置', file: '规则目录', api: '上传' };
const years = (r) => `${r.year_from} – ${r.year_to || '至今'}`;
const where = (d) => `${d.file}:${d.line}${d.column ? ':' + d.column : ''}`;

export async function render(view) {
  const rs = await ruleSets(true);
  add(view,
    h('div.page-head', h('h1', '规则集'), h('p.muted', `当前启用 ${rs.items.length} 个规则集；未指定时使用默认规则集 ${rs.default}。`)),
    card('启用中的规则集', table([
      { label: '规则集', value: (r) => r.id, cell: (r) => [h('a', { href: '#/rulesets/' + encodeURIComponent(r.id) }, r.id), r.id === rs.default ? h('span.tag', '默认') : null] },
      { label: '名称', value: (r) => r.name, class: 'name' },
      { label: '版本', value: (r) => r.version },
      { label: '哈希', value: (r) => r.hash, cell: (r) => h('code', short(r.hash)) },
      { label: '来源', value: (r) => sources[r.status?.source] || r.status?.source },
      { label: '适用年度', value: years },
      { label: '启用时间', value: (r) => r.status?.activated_at, cell: (r) => time(r.status?.activated_at) },
      { label: '状态', value: (r) => r.status?.errors?.length || 0, cell: (r) => status(r.status) },
    ], rs.items, { sortable: true, id: 'rulesets-table' })),
    rs.items.filter((r) => r.status?.errors?.length).map((r) => lastErrors(r.status, r)),
    rs.unloadable.length ? card('无法加载的规则文件', rs.unloadable.map((s) => lastErrors(s))) : null);
}

function status(s) {
  if (s?.errors?.length) return h('span.tag.warn', '最近加载失败');
  return h('span.tag.ok', '正常');
}

// lastErrors lists why files of a rule set are not in use.
function lastErrors(s, active) {
  return h('div.alert.error.file-errors', { role: 'alert' },
    h('strong', (s.id || '规则文件') + '：最近一次加载失败'),
    active ? h('span', `，仍在使用版本 ${active.version}（${short(active.hash)}）`) : null,
    (s.errors || []).map((e) => h('div',
      h('div.muted', `${e.path} · ${time(e.at)}`),
      h('ul.errors', e.diagnostics.map((d) => h('li', h('code.where', where(d)), h('span', (d.indicator ? d.indicator + '：' : '') + d.message))),
        (e.failed_tests || []).map((t) => h('li', h('span', '测试未通过：' + t)))))));
}

export async function renderOne(view, [id], query) {
  const head = h('div.page-head');
  const info = h('div');
  const yamlBox = h('div');
  const versionsBox = h('div');
  let current = null;
  const tabs = [['file', '规则文件', yamlBox], ['versions', '版本历史', versionsBox], ['upload', '上传新版本', upload(id, () => load(), () => current?.yaml || '')]];

  async function load() {
    const [rs, detail, versions] = await Promise.all([
      ruleSets(true),
      api('/rulesets/' + encodeURIComponent(id)),
      api(`/rulesets/${encodeURIComponent(id)}/versions`),
    ]);
    current = detail;
    const item = rs.items.find((r) => r.id === id);
    clear(head, h('nav.crumbs', h('a', { href: '#/rulesets' }, '规则集'), ' / ', id),
      h('h1', detail.name), h('p.muted', detail.description || ''));
    clear(info, h('dl.facts.inline',
      h('dt', '规则集'), h('dd', detail.id),
      detail.extends ? [h('dt', '继承'), h('dd#extends', h('a', { href: `#/rulesets/${encodeURIComponent(detail.extends)}` }, detail.extends),
        '（只写不同之处；下方规则文件为合并后的完整规则）')] : null,
      h('dt', '当前版本'), h('dd#active-version', detail.version),
      h('dt', '哈希'), h('dd', h('code#active-hash', short(detail.hash))), h('dt', '适用年度'), h('dd', years(detail)),
      h('dt', '等级'), h('dd', detail.grades.map((g) => `${g.grade} ${g.from}–${g.to}`).join('，')),
      h('dt', '状态'), h('dd', status(item?.status))),
    item?.status?.errors?.length ? lastErrors(item.status, detail) : null);
    clear(yamlBox, code(detail.yaml));
    clear(versionsBox, versionList(id, versions.items, detail.hash));
  }

  const bar = h('div.tabs', { role: 'tablist' });
  const panels = tabs.map(([key, label, body]) => {
    const panel = h('section.card.tab-panel', { id: 'tab-' + key, role: 'tabpanel' }, body);
    bar.append(h('button.tab', { type: 'button', role: 'tab', id: 'tab-button-' + key, data: { tab: key }, onclick: () => show(key) }, label));
    return panel;
  });
  function show(key) {
    tabs.forEach(([k], i) => {
      panels[i].hidden = k !== key;
      bar.children[i].setAttribute('aria-selected', String(k === key));
    });
  }
  show(tabs.some(([k]) => k === query.get('tab')) ? query.get('tab') : 'file');
  add(view, head, card(null, info), bar, panels);
  await load();
}

function code(text) {
  return h('div.code-wrap', h('ol.code', text.replace(/\n$/, '').split('\n').map((l) => h('li', h('span', l || ' ')))));
}

function versionList(id, items, activeHash) {
  const out = h('div.diff-box#diff');
  const radios = (name, pick) => (v, i) => h('input', { type: 'radio', name, value: v.hash, checked: i === pick, 'aria-label': `${name === 'a' ? '旧' : '新'}版本 ${v.version}` });
  const aPick = Math.min(1, items.length - 1);
  const rows = items.map((v, i) => ({ v, a: radios('a', aPick)(v, i), b: radios('b', 0)(v, i) }));
  const button = h('button.secondary#compare-versions', { type: 'button' }, '比较所选版本');
  const bodies = {};
  const body = async (hash) => (bodies[hash] ??= (await api(`/rulesets/${encodeURIComponent(id)}/versions/${hash}`)).body);
  button.addEventListener('click', () => busy(button, out, async () => {
    const a = rows.find((r) => r.a.checked)?.v, b = rows.find((r) => r.b.checked)?.v;
    if (!a || !b) return;
    const [oldText, newText] = await Promise.all([body(a.hash), body(b.hash)]);
    clear(out, diffView(a, b, diffLines(oldText, newText)));
  }));
  return h('div',
    table([
      { label: '旧', value: () => '', cell: (r) => r.a },
      { label: '新', value: () => '', cell: (r) => r.b },
      { label: '版本', value: (r) => r.v.version, cell: (r) => [r.v.version, r.v.hash === activeHash ? h('span.tag.ok', '当前') : null] },
      { label: '哈希', value: (r) => r.v.hash, cell: (r) => h('code', short(r.v.hash)) },
      { label: '来源', value: (r) => sources[r.v.source] || r.v.source },
      { label: '加载人', value: (r) => r.v.loaded_by },
      { label: '加载时间', value: (r) => time(r.v.loaded_at) },
      { label: '启用时间', value: (r) => time(r.v.activated_at) },
    ], rows, { id: 'versions-table' }),
    h('div.form-row', button, h('span.muted', '选择一个旧版本和一个新版本，逐行比较规则文件。')),
    out);
}

function diffView(a, b, lines) {
  const changed = lines.filter((l) => l.op !== ' ');
  if (!changed.length) return note(`版本 ${a.version} 与 ${b.version} 的规则文件相同。`);
  const added = changed.filter((l) => l.op === '+').length;
  return h('div',
    h('p.muted', `${a.version}（${short(a.hash)}）→ ${b.version}（${short(b.hash)}）：新增 ${added} 行，删除 ${changed.length - added} 行`),
    h('div.table-wrap', h('table.diff', h('tbody', hunks(lines).map((hunk, i) => [
      i ? h('tr.sep', h('td', { colspan: 4 }, '⋯')) : null,
      hunk.map((l) => h('tr', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : null },
        h('td.ln', l.a ?? ''), h('td.ln', l.b ?? ''), h('td.op', l.op), h('td.text', l.text))),
    ])))));
}

// upload: paste or choose a rule file, validate it, then activate it.
function upload(id, reload, currentYAML) {
  let name = id + '.yaml';
  let validated = null; // the text last found valid
  const text = h('textarea#rule-yaml', { rows: 14, spellcheck: 'false', placeholder: '在此粘贴规则文件（YAML），或选择文件' });
  const picker = fileInput('rule-file', '.yaml,.yml,text/yaml,application/yaml');
  const file = picker.querySelector('input');
  const out = h('div.result#validation-result', { 'aria-live': 'polite' });
  const check = h('button.secondary#validate-rules', { type: 'button' }, '校验');
  const activate = h('button.primary#activate-rules', { type: 'button', disabled: true }, '启用此版本');
  const loadCurrent = h('button.link', { type: 'button' }, '载入当前版本以便修改');

  const changed = () => { validated = null; activate.disabled = true; };
  text.addEventListener('input', changed);
  loadCurrent.addEventListener('click', () => {
    text.value = currentYAML();
    name = id + '.yaml';
    changed();
  });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    text.value = await f.text();
    name = f.name;
    changed();
    check.click();
  });
  check.addEventListener('click', () => busy(check, out, async () => {
    if (!text.value.trim()) { clear(out, note('请先粘贴或选择规则文件。', 'warning')); return; }
    const body = text.value;
    const r = await api('/rulesets/validate?name=' + encodeURIComponent(name), { method: 'POST', body, type: 'application/yaml' });
    clear(out, report(r, id, (line) => showLine(text, line)));
    if (r.valid) validated = body;
    activate.disabled = !r.valid || text.value !== body;
  }));
  activate.addEventListener('click', () => busy(activate, out, async () => {
    if (validated === null) return;
    try {
      const rs = await api('/rulesets/' + encodeURIComponent(id), { method: 'PUT', body: validated, type: 'application/yaml' });
      clear(out, note(`已启用规则集 ${rs.id} 版本 ${rs.version}（${short(rs.hash)}）。`, 'success'));
      changed();
      await reload();
    } catch (e) {
      const cur = await api('/rulesets/' + encodeURIComponent(id)).catch(() => null);
      clear(out, problemBox(e, '未能启用'), cur ? note(`当前仍使用版本 ${cur.version}（${short(cur.hash)}）。`) : null);
      activate.disabled = true;
    }
  }));
  return h('div',
    h('p.muted', '先校验：检查语法、公式与规则文件自带的测试，并比较对已存储项目的影响；通过后才能启用（需要管理员密钥）。'),
    h('div.form-row', field('规则文件', picker), loadCurrent),
    text,
    h('div.form-row', check, activate),
    out);
}

// showLine selects a line of the rule file being edited.
function showLine(text, line) {
  const lines = text.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(start, start + (lines[line - 1] || '').length);
  text.scrollTop = Math.max(0, (line - 4) * parseFloat(getComputedStyle(text).lineHeight));
}

function report(r, id, goto) {
  const failed = r.tests.filter((t) => !t.passed);
  const parts = [];
  if (r.valid) {
    parts.push(note(`校验通过：规则集 ${r.ruleset.id} 版本 ${r.ruleset.version}（${short(r.ruleset.hash)}），测试 ${r.tests.length} 项全部通过。` +
      (r.ruleset.id !== id ? ` 注意：文件中的 id 不是 ${id}。` : ''), r.ruleset.id === id ? 'success' : 'warning'));
  } else {
    parts.push(h('div.alert.error', { role: 'alert' }, h('strong', `校验未通过：${r.errors.length} 处错误`),
      failed.length ? `，${failed.length} 项测试未通过` : '', '。当前启用的版本不受影响。'));
  }
  if (r.errors.length) {
    parts.push(table([
      { label: '位置', value: where, cell: (d) => h('button.link.where', { type: 'button', title: '在上面的编辑框中选中这一行', onclick: () => goto(d.line) }, where(d)) },
      { label: '指标', value: (d) => d.indicator || d.context },
      { label: '说明', value: (d) => d.message, class: 'name' },
    ], r.errors, { id: 'rule-errors' }));
  }
  if (r.tests.length) {
    parts.push(h('h3', '规则测试'), table([
      { label: '测试', value: (t) => t.name, class: 'name' },
      { label: '行', value: (t) => t.line },
      { label: '结果', value: (t) => t.passed, cell: (t) => h('span.tag', { class: t.passed ? 'ok' : 'warn' }, t.passed ? '通过' : '未通过') },
      { label: '说明', value: (t) => (t.failures || []).join('；') },
    ], r.tests));
  }
  if (r.impact) {
    parts.push(h('h3', '对已存储项目的影响'),
      h('p.muted', `比较 ${r.impact.compared} 个项目，等级变化 ${r.impact.changed.length} 个。行为当前版本的等级，列为新版本的等级。`),
      matrixTable(r.impact, 'impact-matrix', ['当前', '新版本']));
  }
  return h('div', parts);
}
