// 项目详情: one project, its 自评表 tree, findings and score history.

import { api, allPages } from './api.js';
import { h, add, card, table, badge, num, time, short, downloadLink, note, COMPUTED_RATE, STATED_RATE, COMPUTED_RATE_NOTE, STATED_RATE_NOTE } from './ui.js';
import { reviewCard, statusBadge } from './review.js';

const severity = { error: '错误', warning: '警告', info: '提示' };
const direction = { '>=': '正向（≥）', '>': '大于（>）', '<=': '反向（≤）', '<': '小于（<）', '=': '等于', qualitative: '定性' };

export async function render(view, [year, id]) {
  const path = `/projects/${year}/${encodeURIComponent(id)}`;
  const [p, history] = await Promise.all([
    api(path),
    allPages(`/scores?project_id=${encodeURIComponent(id)}&year=${year}`),
  ]);
  const score = p.score;
  const result = score?.result;
  // A review step renders the page again, as a fresh view.
  const reload = async () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const review = await reviewCard(p, reload);

  add(view,
    h('nav.crumbs', h('a', { href: '#/projects' }, '项目'), ' / ', p.id),
    h('div.page-head',
      h('h1', p.name),
      h('p.muted', `${p.id} · ${p.department || '未填主管部门'} · ${p.year} 年度 · `, statusBadge(p.status)),
      h('div.actions', downloadLink(`/api/v1${path}/form.xlsx`, '下载自评表（Excel）', 'form-link'))),
    h('div.columns',
      card('资金情况', facts([
        ['年初预算数（元）', num(p.budget_initial)],
        ['全年预算数（元）', num(p.budget_adjusted)],
        ['实际到位资金（元）', num(p.funds_arrived)],
        ['全年执行数（元）', num(p.spent)],
        ['结余（元）', num(p.balance)],
        [STATED_RATE, num(p.execution_rate), { id: 'stated-rate', title: STATED_RATE_NOTE }],
        [COMPUTED_RATE, num(result?.execution_rate), { id: 'computed-rate', title: COMPUTED_RATE_NOTE }],
        ['资金使用合规性', p.compliance || '—'],
      ], 'money'), h('p.muted.rate-note#rate-note', rateNote(result))),
      card('最新正式评分', score ? facts([
        ['总分', h('span.big', num(score.total))],
        ['等级', badge(score.grade)],
        ['规则集', `${result.ruleset.id}（${result.ruleset.version}）`],
        ['规则哈希', h('code', short(score.ruleset_hash))],
        ['评价批次', `#${score.run_id}`],
        ['评分时间', time(score.created_at)],
      ]) : note('该项目尚未正式评分。'))),
    review,
    card('自评表', score ? tree(result) : note('尚未评分，没有自评表。')),
    card('绩效指标（填报）', table([
      { label: '一级指标', value: (i) => i.level1 },
      { label: '二级指标', value: (i) => i.level2 },
      { label: '三级指标', value: (i) => i.name, class: 'name' },
      { label: '指标方向', value: (i) => direction[i.direction] || i.direction },
      { label: '年度指标值', value: (i) => i.target, cell: (i) => String(i.target ?? '—'), num: true },
      { label: '实际完成值', value: (i) => i.actual ?? i.rating, cell: (i) => String(i.actual ?? i.rating ?? '—'), num: true },
      { label: '单位', value: (i) => i.unit },
      { label: '偏差原因', value: (i) => i.deviation_reason },
      { label: '复核扣分', value: (i) => i.deduction, num: true },
      { label: '扣分理由', value: (i) => i.deduction_reason },
    ], p.indicators || [], { empty: '未填报绩效指标' })),
    card('问题清单', table([
      { label: '类别', value: (f) => severity[f.severity] || f.severity, cell: (f) => h('span.sev', { class: f.severity }, severity[f.severity] || f.severity) },
      { label: '检查项', value: (f) => f.check, cell: (f) => h('code', f.check) },
      { label: '指标', value: (f) => f.indicator },
      { label: '说明', value: (f) => f.message, class: 'name' },
    ], result?.findings || [], { empty: '未发现问题', id: 'findings-table' })),
    card('评分历史', table([
      { label: '评分编号', value: (s) => s.id },
      { label: '评价批次', value: (s) => s.run_id, cell: (s) => '#' + s.run_id },
      { label: '评分时间', value: (s) => s.created_at, cell: (s) => time(s.created_at) },
      { label: '规则集', value: (s) => s.ruleset_id },
      { label: '规则版本', value: (s) => s.result.ruleset.version },
      { label: '规则哈希', value: (s) => s.ruleset_hash, cell: (s) => h('code', short(s.ruleset_hash)) },
      { label: '引擎版本', value: (s) => s.engine_version },
      { label: COMPUTED_RATE, value: (s) => s.result.execution_rate, num: true, title: COMPUTED_RATE_NOTE },
      { label: '总分', value: (s) => s.total, num: true },
      { label: '等级', value: (s) => s.grade, cell: (s) => badge(s.grade) },
    ], history.items, { sortable: true, sortBy: { label: '评分时间', dir: -1 }, empty: '没有评分记录', id: 'history-table' })));
}

// facts lays out [label, value, {id, title}?] rows; title is a tooltip.
function facts(rows, kind) {
  return h('dl.facts', { class: kind }, rows.map(([k, v, o]) => [h('dt', { title: o?.title }, k), h('dd', { id: o?.id, title: o?.title }, v)]));
}

// rateNote tells the two execution rates apart, naming the rule set whose
// formula gave the computed one.
function rateNote(result) {
  const stated = '填报执行率为单位填报的数值，原样显示。';
  if (!result) return '计算执行率由评分引擎按规则集的公式计算，正式评分后显示；' + stated;
  const rs = `${result.ruleset.id}（${result.ruleset.version}）`;
  if (result.execution_rate == null) return `计算执行率：规则集 ${rs} 未定义执行率公式，评分结果中没有计算执行率；` + stated;
  return `计算执行率由评分引擎按规则集 ${rs} 定义的公式计算，四舍五入保留两位小数，随正式评分结果保存；` + stated;
}

// tree lays the scored indicators out as the 自评表: one row per
// indicator, indented by level, with its points, score and reason.
function tree(result) {
  const rows = [];
  const walk = (nodes, depth) => {
    for (const n of nodes) {
      rows.push(h('tr', { class: `depth${Math.min(depth, 3)}${n.children?.length ? ' group' : ''}` },
        h('td.name', h('span.indent', n.name)),
        h('td.num', num(n.points)),
        h('td.num', num(n.score)),
        h('td.reason', n.reason || '')));
      if (n.children) walk(n.children, depth + 1);
    }
  };
  walk(result.indicators, 0);
  if (result.rescale) {
    // Some categories do not apply: the engine's step from the applicable
    // points to the total, so that the rows visibly add up.
    const { sum, applicable } = result.rescale;
    rows.push(h('tr.subtotal#rescale-sum', h('th', { scope: 'row' }, '适用指标合计'), h('td.num', num(applicable)), h('td.num', num(sum)),
      h('td.reason', '未设置的指标类别不参与评分')));
    rows.push(h('tr.rescale#rescale-step', h('th', { scope: 'row' }, '折算为百分制'), h('td.num', num(100)), h('td.num', num(result.total)),
      h('td.reason', `${num(sum)} × 100 ÷ ${num(applicable)} = ${num(result.total)}（四舍五入保留两位小数）`)));
  }
  rows.push(h('tr.total', h('th', { scope: 'row' }, '总分'), h('td.num', num(100)), h('td.num', num(result.total)), h('td', badge(result.grade))));
  return h('div.table-wrap', h('table.grid.tree#score-tree',
    h('thead', h('tr', h('th', '指标'), h('th.num', '分值'), h('th.num', '得分'), h('th', '评分依据'))),
    h('tbody', rows)));
}
