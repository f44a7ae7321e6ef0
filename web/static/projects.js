// 项目: the stored projects with their latest official scores.

import { allPages } from './api.js';
import { h, add, clear, card, table, badge, barChart, countGrades, GRADES, field, select, note, COMPUTED_RATE, COMPUTED_RATE_NOTE } from './ui.js';
import { choices, yearSelect, deptSelect, evaluationPanel } from './shared.js';
import { STATUS, statusBadge } from './review.js';

export async function render(view, _args, query) {
  const filter = { year: query.get('year') || '', department: query.get('department') || '', grade: query.get('grade') || '', status: query.get('status') || '' };
  const { years, departments } = await choices();

  const setFilter = (k) => (ev) => {
    const q = new URLSearchParams({ ...filter, [k]: ev.target.value });
    for (const [key, v] of [...q]) if (!v) q.delete(key);
    location.hash = '#/projects' + (q.size ? '?' + q : '');
  };
  const filters = h('div.filters',
    field('年度', yearSelect(years, filter.year, { id: 'filter-year', onchange: setFilter('year') })),
    field('主管部门', deptSelect(departments, filter.department, { id: 'filter-department', onchange: setFilter('department') })),
    field('等级', select([['', '全部等级'], ...GRADES.map((g) => [g, g])], filter.grade, { id: 'filter-grade', onchange: setFilter('grade') })),
    field('审核状态', select([['', '全部状态'], ...Object.entries(STATUS)], filter.status, { id: 'filter-status', onchange: setFilter('status') })));

  const summary = h('p.muted');
  const chartBox = h('div');
  const listBox = h('div');
  let shown = [];

  async function load() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    const { items, total } = await allPages('/projects?' + q);
    shown = items;
    const scored = items.filter((p) => p.latest_score);
    clear(summary, `共 ${total} 个项目，已评分 ${scored.length} 个` + (items.length < total ? `（显示前 ${items.length} 个）` : ''));
    const counts = countGrades(scored.map((p) => p.latest_score.grade));
    clear(chartBox, barChart(GRADES, [{ label: '项目数', counts }], '等级分布'));
    clear(listBox, projectTable(items));
  }

  const describe = () => {
    const parts = [filter.year ? filter.year + ' 年度' : '全部年度', filter.department || '全部部门'];
    if (filter.grade) parts.push(`当前等级为“${filter.grade}”的 ${shown.length} 个项目`);
    if (filter.status && !filter.grade) parts.push(`审核状态为“${STATUS[filter.status]}”的 ${shown.length} 个项目`);
    return '范围：' + parts.join('，') + '。按所选规则集重新评分并保存为正式结果。';
  };
  const panel = await evaluationPanel({
    describe,
    selection: () => filter.grade || filter.status
      ? { project_ids: shown.map((p) => p.id), year: Number(filter.year) || undefined }
      : { year: Number(filter.year) || undefined, department: filter.department || undefined },
    done: async () => { await load(); panel.refresh(); },
  });

  add(view,
    h('div.page-head', h('h1', '项目'), summary),
    filters,
    h('div.columns', card('等级分布', chartBox), panel.element),
    card('项目列表', listBox));
  await load();
  panel.refresh();
}

function projectTable(items) {
  if (!items.length) return note('没有符合条件的项目。');
  const s = (p) => p.latest_score || {};
  return table([
    { label: '项目编号', value: (p) => p.id, cell: (p) => h('a', { href: `#/projects/${p.year}/${encodeURIComponent(p.id)}` }, p.id) },
    { label: '项目名称', value: (p) => p.name, class: 'name' },
    { label: '主管部门', value: (p) => p.department },
    { label: '年度', value: (p) => p.year },
    { label: '状态', value: (p) => STATUS[p.status], cell: (p) => statusBadge(p.status) },
    { label: '全年预算数（元）', value: (p) => p.budget_adjusted, num: true },
    { label: '全年执行数（元）', value: (p) => p.spent, num: true },
    { label: COMPUTED_RATE, value: (p) => s(p).execution_rate, num: true, title: COMPUTED_RATE_NOTE },
    { label: '总分', value: (p) => s(p).total, num: true },
    { label: '等级', value: (p) => GRADES.indexOf(s(p).grade) + 1 || 9, cell: (p) => badge(s(p).grade) },
    { label: '问题数', value: (p) => s(p).findings, cell: (p) => (p.latest_score ? String(s(p).findings) : '—'), num: true },
  ], items, { sortable: true, id: 'projects-table' });
}
