// 模拟: what-if simulations and goal seeking. Nothing official changes.

import { api, download } from './api.js';
import { h, add, clear, card, table, badge, barChart, busy, field, select, num, signed, note, short } from './ui.js';
import { choices, yearSelect, deptSelect, ruleSetSelect, matrixTable } from './shared.js';

const FIELDS = [
  ['spent', '全年执行数'],
  ['budget_adjusted', '全年预算数'],
  ['budget_initial', '年初预算数'],
  ['funds_arrived', '实际到位资金'],
  ['balance', '结余'],
  ['execution_rate', '填报执行率'],
  ['compliance', '资金使用合规性'],
  ['indicator.actual', '指标实际完成值'],
  ['indicator.target', '指标年度指标值'],
];
const MODES = [['percent', '按百分比调整（%）'], ['set', '设为'], ['expr', '按表达式计算']];

export async function render(view) {
  const { years, departments, projects } = await choices();
  const year = yearSelect(years, years[0] ?? '', { id: 'sim-year' });
  const dept = deptSelect(departments, '', { id: 'sim-department' });
  const ids = h('input#sim-ids', { type: 'text', placeholder: '如 HH2024-01,HH2024-02；留空为全部' });

  const rows = h('div.overrides#overrides');
  const addRow = (f = 'spent', mode = 'percent', value = '') => rows.append(overrideRow(f, mode, value));
  addRow();

  const baseline = await ruleSetSelect(null, { id: 'sim-baseline' });
  const scenario = await ruleSetSelect('', { id: 'sim-ruleset' }, [['', '与基准相同'], ['draft', '粘贴规则草稿…（需评分员及以上权限）']]);
  const draft = h('textarea#sim-draft', { rows: 10, hidden: true, spellcheck: 'false', placeholder: '粘贴规则文件草稿（YAML）' });
  scenario.addEventListener('change', () => { draft.hidden = scenario.value !== 'draft'; });

  const out = h('div.result#simulation-result', { 'aria-live': 'polite' });
  const run = h('button.primary#run-simulation', { type: 'button' }, '运行模拟');
  const simulate = async (req) => {
    clear(out, note('正在模拟…'));
    const { report } = await api('/simulations', { method: 'POST', json: req });
    clear(out, result(report, req, simulate, out));
  };
  run.addEventListener('click', () => busy(run, out, async () => {
    const req = { overrides: [...rows.children].map((r) => r.override()).filter(Boolean) };
    if (year.value) req.year = Number(year.value);
    if (dept.value) req.department = dept.value;
    const list = ids.value.split(/[,，\s]+/).filter(Boolean);
    if (list.length) req.project_ids = list;
    if (baseline.value) req.baseline_ruleset = baseline.value;
    if (scenario.value === 'draft') req.draft = draft.value;
    else if (scenario.value) req.ruleset = scenario.value;
    await simulate(req);
  }));

  add(view,
    h('div.page-head', h('h1', '模拟'), h('p.muted', '调整项目数据或改用其他规则，比较评分变化；不影响正式结果。')),
    card('模拟设置',
      h('div.sim-grid',
        h('div.stack', h('h3', '选择项目'), h('div.pair', field('年度', year), field('主管部门', dept)), field('项目编号', ids)),
        h('div.stack', h('h3', '调整数据'), rows, h('button.link#add-override', { type: 'button', onclick: () => addRow() }, '＋ 添加一项调整')),
        h('div.stack', h('h3', '规则'), field('基准规则集', baseline), field('情景规则集', scenario))),
      draft,
      h('div.form-row.end', run)),
    out,
    await goalSeek(projects));
}

function overrideRow(f, mode, value) {
  const fieldSel = select(FIELDS, f, { class: 'ov-field', 'aria-label': '字段' });
  const indicator = h('input.ov-indicator', { type: 'text', placeholder: '三级指标名称（留空为全部）', 'aria-label': '三级指标' });
  const modeSel = select(MODES, mode, { class: 'ov-mode', 'aria-label': '方式' });
  const input = h('input.ov-value', { type: 'text', value, placeholder: '如 -75', 'aria-label': '值' });
  const sync = () => { indicator.hidden = !fieldSel.value.startsWith('indicator.'); };
  fieldSel.addEventListener('change', sync);
  sync();
  const row = h('div.override', fieldSel, indicator, modeSel, input,
    h('button.link', { type: 'button', onclick: () => row.remove() }, '删除'));
  // override is the row as the API takes it, or null when it is empty.
  row.override = () => {
    const v = input.value.trim();
    if (!v) return null;
    const o = { field: fieldSel.value };
    if (!indicator.hidden && indicator.value.trim()) o.indicator = indicator.value.trim();
    if (modeSel.value === 'expr') o.expr = v;
    else if (modeSel.value === 'percent') o.percent = Number(v);
    else o.set = fieldSel.value === 'compliance' || Number.isNaN(Number(v)) ? v : Number(v);
    return o;
  };
  return row;
}

// result shows a report; req and simulate fetch its next page, and the
// export is every changed project as CSV.
function result(report, req, simulate, out) {
  const s = report.summary;
  const changedTotal = s.changed_total ?? s.changed.length;
  const pg = report.page;
  let pager = null;
  if (pg) {
    const next = h('button#next-page', { type: 'button', hidden: !pg.next_cursor }, '下一页');
    next.addEventListener('click', () => busy(next, out, () => simulate({ ...req, cursor: pg.next_cursor })));
    const csv = h('button#export-simulation', { type: 'button' }, '导出全部变化项目（CSV）');
    csv.addEventListener('click', () => busy(csv, null, () => download('/api/v1/simulations?format=csv', { method: 'POST', json: { ...req, cursor: undefined } })));
    pager = h('div.form-row',
      h('span.muted', `等级变化的在前，分数变化幅度大的在前，未变化的在后：本页 ${report.projects.length} 个，共 ${pg.listed} 个。`),
      next, csv);
  }
  const same = report.baseline.hash === report.scenario.hash;
  const changed = new Set(s.changed);
  const only = h('input#only-changed', { type: 'checkbox' });
  const list = h('div');
  const fill = () => clear(list, table([
    { label: '项目编号', value: (p) => p.project_id, cell: (p) => h('a', { href: `#/projects/${p.year}/${encodeURIComponent(p.project_id)}` }, p.project_id) },
    { label: '项目名称', value: (p) => p.name, class: 'name' },
    { label: '基准总分', value: (p) => p.baseline.total, num: true },
    { label: '基准等级', value: (p) => p.baseline.grade, cell: (p) => side(p.baseline) },
    { label: '模拟总分', value: (p) => p.scenario.total, num: true },
    { label: '模拟等级', value: (p) => p.scenario.grade, cell: (p) => side(p.scenario) },
    { label: '变化', value: (p) => p.delta, cell: (p) => h('span', { class: p.delta < 0 ? 'down' : p.delta > 0 ? 'up' : null }, signed(p.delta)), num: true },
  ], only.checked ? report.projects.filter((p) => p.grade_changed) : report.projects,
  { sortable: true, id: 'simulation-table', empty: only.checked ? '没有等级变化的项目' : '没有项目', rowProps: (p) => (changed.has(p.project_id) ? { class: 'changed' } : null) }));
  only.addEventListener('change', fill);
  fill();
  return h('div',
    note(`共 ${s.projects} 个项目，比较 ${s.compared} 个，等级变化 ${changedTotal} 个；总分平均变化 ${signed(s.mean_delta)}（最低变化 ${signed(s.min_delta)}，最高变化 ${signed(s.max_delta)}）。` +
      `基准规则 ${report.baseline.id} ${report.baseline.version}` + (same ? '' : `，情景规则 ${report.scenario.id} ${report.scenario.version}（${short(report.scenario.hash)}）`) +
      (s.rejected_baseline || s.rejected_scenario ? `；未能评分：基准 ${s.rejected_baseline} 个，模拟 ${s.rejected_scenario} 个` : ''),
    changedTotal ? 'success' : 'info'),
    h('div.columns',
      card('等级变化矩阵', h('p.muted', '行为基准等级，列为模拟后的等级。'), matrixTable(s, 'transition-matrix')),
      card('等级分布（模拟前后）', barChart(s.grades, [{ label: '模拟前', counts: s.before }, { label: '模拟后', counts: s.after }], '模拟前后等级分布'))),
    card('逐项比较', h('label.check', only, '只显示等级变化的项目'), pager, list));
}

function side(x) {
  if (x.rejected) return h('span.tag.warn', { title: x.rejected.join('；') }, '未能评分');
  return badge(x.grade);
}

// goalSeek: the smallest change of spent or of an indicator that reaches
// a grade or a total, for one project.
async function goalSeek(projects) {
  const project = select(projects.map((p) => [`${p.year}/${p.id}`, `${p.id} ${p.name}`]), '', { id: 'seek-project' });
  const what = select([['spent', '全年执行数'], ['indicator.actual', '指标实际完成值']], 'spent', { id: 'seek-field' });
  const indicator = h('input#seek-indicator', { type: 'text', placeholder: '三级指标名称', hidden: true });
  what.addEventListener('change', () => { indicator.hidden = what.value !== 'indicator.actual'; });
  const kind = select([['grade', '达到等级'], ['total', '达到总分']], 'grade', { id: 'seek-kind' });
  const grade = select([['优', '优'], ['良', '良'], ['中', '中']], '优', { id: 'seek-grade' });
  const total = h('input#seek-total', { type: 'number', step: '0.01', min: 0, max: 100, value: '90', hidden: true });
  kind.addEventListener('change', () => { grade.hidden = kind.value !== 'grade'; total.hidden = kind.value !== 'total'; });
  const rules = await ruleSetSelect(null, { id: 'seek-ruleset' });
  const out = h('div.result#seek-result', { 'aria-live': 'polite' });
  const go = h('button.primary#run-seek', { type: 'button' }, '求解');
  go.addEventListener('click', () => busy(go, out, async () => {
    const [y, ...rest] = project.value.split('/');
    const req = { year: Number(y), project_id: rest.join('/'), field: what.value, ruleset: rules.value,
      goal: kind.value === 'grade' ? { grade: grade.value } : { total: Number(total.value) } };
    if (what.value === 'indicator.actual') req.indicator = indicator.value.trim();
    const { result: r } = await api('/simulations/goal-seek', { method: 'POST', json: req });
    clear(out, note(r.message, r.reachable ? 'success' : 'warning'), h('dl.facts.inline',
      h('dt', '当前值'), h('dd', num(r.from)), h('dt', '所需值'), h('dd', num(r.to)), h('dt', '变化'), h('dd', signed(r.change)),
      h('dt', '当前得分'), h('dd', num(r.baseline.total), ' ', badge(r.baseline.grade)),
      h('dt', '调整后得分'), h('dd', num(r.reached.total), ' ', badge(r.reached.grade))));
  }));
  return card('目标求解（如“要达到优需要支出多少”）',
    h('div.filters', field('项目', project), field('调整', h('div.inline', what, indicator)), field('目标', h('div.inline', kind, grade, total)), field('规则集', rules)),
    h('div.form-row', go), out);
}
