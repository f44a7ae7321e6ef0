// Data and parts several pages use: the rule sets, the years and
// departments to choose from, and the official-evaluation panel.

import { api, allPages, session } from './api.js';
import { h, clear, card, note, busy, select, field, badge, table, countGrades, GRADES, short } from './ui.js';

let ruleSetsCache = null;
let choicesCache = null;
let meCache;

// whoAmI is the logged-in person ({role, department_code, …}), or null
// when the tab uses an API key.
export async function whoAmI() {
  if (session.key() || !session.csrf()) return null;
  if (meCache === undefined) meCache = (await api('/session')).user;
  return meCache;
}

export async function ruleSets(fresh = false) {
  if (!ruleSetsCache || fresh) ruleSetsCache = await api('/rulesets');
  return ruleSetsCache;
}

// choices are the years, departments and projects stored, for filters.
export async function choices(fresh = false) {
  if (!choicesCache || fresh) {
    const { items } = await allPages('/projects');
    const years = [...new Set(items.map((p) => p.year))].sort((a, b) => b - a);
    const departments = [...new Set(items.map((p) => p.department).filter(Boolean))].sort((a, b) => a.localeCompare(b, 'zh-CN'));
    choicesCache = { years, departments, projects: items };
  }
  return choicesCache;
}

export function forget() {
  ruleSetsCache = null;
  choicesCache = null;
  meCache = undefined;
}

export const yearSelect = (years, value, props) => select([['', '全部年度'], ...years.map((y) => [y, y + ' 年度'])], value, props);
export const deptSelect = (depts, value, props) => select([['', '全部部门'], ...depts.map((d) => [d, d])], value, props);

export async function ruleSetSelect(value, props = {}, extra = []) {
  const rs = await ruleSets();
  return select([...extra, ...rs.items.map((r) => [r.id, `${r.id}（${r.version}）${r.id === rs.default ? ' · 默认' : ''}`])],
    value ?? (extra.length ? extra[0][0] : rs.default), props);
}

// evaluationPanel runs an official evaluation of the selection that
// selection() returns ({year, department, project_ids}) and shows it;
// done() is called after a run finished.
export async function evaluationPanel({ describe, selection, done, buttonId = 'run-evaluation' }) {
  const rules = await ruleSetSelect(null, { id: 'eval-ruleset' });
  const out = h('div.result', { id: 'evaluation-result', 'aria-live': 'polite' });
  const scope = h('p.muted', describe());
  const button = h('button.primary', { type: 'button', id: buttonId }, '运行正式评价');
  // Which review statuses are scored: approved ones unless asked; the
  // bureau may also score its own data, entered without a review.
  const user = await whoAmI();
  const statuses = select([
    ['approved', '已审核的项目'],
    ['approved,submitted', '已审核和已提交（未审核）的项目'],
    ...(user?.department_code ? [] : [['draft,submitted,approved,returned', '全部项目（含草稿：财政局自行录入的数据）']]),
  ], 'approved', { id: 'eval-statuses' });
  button.addEventListener('click', () => busy(button, out, async () => {
    clear(out, note('正在评价…'));
    const body = { ...selection(), ruleset: rules.value, statuses: statuses.value.split(',') };
    let r = await api('/evaluations', { method: 'POST', json: body });
    while (r.run.status === 'running') {
      clear(out, note(`评价批次 #${r.run.id} 正在后台运行：已评分 ${r.run.scored} / ${r.run.total}`));
      await new Promise((ok) => setTimeout(ok, 1000));
      const run = await api(`/evaluations/${r.run.id}`);
      r = run.status === 'running' ? { run } : await api(`/evaluations/${run.id}/results?per_page=1000`);
    }
    const results = Array.isArray(r.results) ? r.results : r.results?.items || [];
    clear(out, runSummary(r.run, results, r.rejected || []));
    if (done) await done(r);
  }));
  return {
    element: card('正式评价', scope,
      h('div.form-row', field('规则集', rules), field('评价范围', statuses), button), out),
    refresh: () => clear(scope, describe()),
  };
}

function runSummary(run, results, rejected) {
  const ok = run.status === 'done';
  const counts = countGrades(results.map((r) => r.grade));
  return h('div',
    h('div.alert', { class: ok ? 'success' : 'error', role: 'status' },
      h('strong', `评价批次 #${run.id} ${ok ? '已完成' : '状态：' + run.status}`),
      `：评分 ${run.scored} 个项目，未能评分 ${run.rejected} 个；规则集 ${run.ruleset_id}（${short(run.ruleset_hash)}）`,
      run.error ? h('div', run.error) : null),
    results.length ? h('p.grade-line', '本次等级：', GRADES.map((g) => h('span.grade-count', badge(g), ` ${counts[g] || 0} 个`))) : null,
    rejected.length ? table([
      { label: '项目编号', value: (r) => r.project_id },
      { label: '年度', value: (r) => r.year },
      { label: '原因', value: (r) => r.errors.join('；') },
    ], rejected) : null);
}

// matrixTable shows a transition matrix: rows are the grades before, columns
// the grades after; cells off the diagonal are projects that changed grade.
export function matrixTable(summary, id, [before, after] = ['基准', '情景']) {
  const g = summary.grades;
  return h('div.table-wrap', h('table.grid.matrix', { id },
    h('thead', h('tr', h('th', `${before} ＼ ${after}`), g.map((x) => h('th.num', badge(x))), h('th.num', '合计'))),
    h('tbody', g.map((from, i) => h('tr',
      h('th', { scope: 'row' }, badge(from)),
      g.map((to, j) => {
        const n = summary.matrix[i][j];
        return h('td.num', { class: i === j ? 'diag' : n ? 'moved' : null, data: { from, to } }, String(n));
      }),
      h('td.num', String(summary.matrix[i].reduce((a, b) => a + b, 0))))))));
}
