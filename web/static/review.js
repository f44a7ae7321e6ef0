// 自评审核: a department's own projects with their review status, the
// bureau's queue of submissions, and on a project's page its review: the
// history, a comparison of versions, submitting, returning with comments
// and approving with deductions.

import { api, allPages } from './api.js';
import { h, add, clear, card, table, badge, note, field, select, busy, time, short } from './ui.js';
import { diffLines, hunks } from './diff.js';
import { whoAmI } from './shared.js';

export const STATUS = { draft: '草稿', submitted: '已提交', approved: '已审核', returned: '已退回' };
const ACTION = { submit: '提交', approve: '审核通过', return: '退回' };

export const statusBadge = (s) => h('span.status', { class: s, data: { status: s } }, STATUS[s] || s);

// render is the list: "my projects" for an account of a department, the
// review queue (submitted ones first) for the bureau.
export async function render(view, _args, query) {
  const user = await whoAmI();
  const mine = Boolean(user?.department_code);
  const filter = {
    status: query.get('status') ?? (mine ? '' : 'submitted'),
    department_code: query.get('department_code') || '',
    year: query.get('year') || '',
  };
  const departments = mine ? [] : (await api('/departments')).items;
  const setFilter = (k) => (ev) => {
    const q = new URLSearchParams({ ...filter, [k]: ev.target.value });
    for (const [key, v] of [...q]) if (!v && key !== 'status') q.delete(key);
    location.hash = '#/review?' + q;
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  const { items, total } = await allPages('/projects?' + q);

  const counts = {};
  for (const p of items) counts[p.status] = (counts[p.status] || 0) + 1;
  const summary = `共 ${total} 个项目` + (Object.keys(STATUS).some((s) => counts[s])
    ? '：' + Object.entries(STATUS).filter(([s]) => counts[s]).map(([s, label]) => `${label} ${counts[s]} 个`).join('，')
    : '');
  add(view,
    h('div.page-head', h('h1', mine ? '我的项目' : '审核队列'), h('p.muted', summary)),
    mine ? note(['在', h('a', { href: '#/import' }, '导入'), '页填报或更新本部门的项目；在项目页查看退回意见、提交审核。草稿和已退回的项目可以修改，已提交和已审核的不能。']) : null,
    h('div.filters',
      field('状态', select([['', '全部状态'], ...Object.entries(STATUS)], filter.status, { id: 'filter-status', onchange: setFilter('status') })),
      mine ? null : field('部门', select([['', '全部部门'], ...departments.filter((d) => !d.merged_into).map((d) => [d.code, d.name])],
        filter.department_code, { id: 'filter-department-code', onchange: setFilter('department_code') }))),
    card(mine ? '本部门项目' : '项目', table([
      { label: '项目编号', value: (p) => p.id, cell: (p) => h('a', { href: `#/projects/${p.year}/${encodeURIComponent(p.id)}` }, p.id) },
      { label: '项目名称', value: (p) => p.name, class: 'name' },
      { label: '主管部门', value: (p) => p.department },
      { label: '年度', value: (p) => p.year },
      { label: '状态', value: (p) => STATUS[p.status], cell: (p) => statusBadge(p.status) },
      { label: '更新时间', value: (p) => p.updated_at, cell: (p) => time(p.updated_at) },
      { label: '最新等级', value: (p) => p.latest_score?.grade, cell: (p) => badge(p.latest_score?.grade) },
    ], items, { sortable: true, id: 'review-table', empty: mine ? '本部门还没有项目' : '没有符合条件的项目' })));
}

// reviewCard is a project's review on its page. reload renders the page
// again after a step.
export async function reviewCard(p, reload) {
  const path = `/projects/${p.year}/${encodeURIComponent(p.id)}`;
  const [state, user] = await Promise.all([api(path + '/review'), whoAmI()]);
  const role = user?.role;
  const bureau = !user?.department_code;
  // With an API key the role is not known here: the server decides.
  const canSubmit = (!user || role !== 'viewer') && (state.status === 'draft' || state.status === 'returned');
  const canReview = (!user || (bureau && (role === 'reviewer' || role === 'admin'))) && state.status === 'submitted';
  const out = h('div#review-result', { 'aria-live': 'polite' });

  const lastReturn = [...state.reviews].reverse().find((r) => r.action === 'return');
  const body = [
    h('p#review-status', '状态：', statusBadge(state.status), h('span.muted', ` 当前版本 ${short(state.input_hash)}`)),
    state.status === 'returned' && lastReturn ? returnNote(lastReturn) : null,
  ];
  if (canSubmit) {
    const button = h('button.primary#submit-button', { type: 'button' }, '提交审核');
    button.addEventListener('click', () => busy(button, out, async () => {
      await api(path + '/submit', { method: 'POST' });
      await reload();
    }));
    body.push(h('div.form-row', button, h('span.muted', '提交后本部门不能再修改，等待财政局审核。')));
  }
  if (canReview) body.push(reviewForm(p, state, path, out, reload));
  body.push(out);
  body.push(h('h3', '审核记录'), historyTable(state.reviews));
  body.push(compareVersions(path, state));
  return card('自评审核', ...body);
}

function returnNote(r) {
  const items = Object.entries(r.indicator_comments || {});
  return h('div.alert.warning#return-comments', { role: 'status' },
    h('strong', `已退回（${time(r.at)}，${r.actor}）：`), h('span.return-comment', r.comment),
    items.length ? h('ul', items.map(([name, c]) => h('li', h('strong', name + '：'), c))) : null);
}

// reviewForm is the reviewer's: a comment, per indicator a comment and a
// deduction with its reason, and return or approve.
function reviewForm(p, state, path, out, reload) {
  const comment = h('textarea#review-comment', { rows: 3, maxlength: 2000, placeholder: '审核意见（退回时必填）' });
  const rows = (p.indicators || []).map((ind) => ({
    name: ind.name,
    comment: h('input.indicator-comment', { type: 'text', maxlength: 2000, data: { name: ind.name } }),
    points: h('input.deduction-points', { type: 'number', min: 0, max: 100, step: 0.01, data: { name: ind.name } }),
    reason: h('input.deduction-reason', { type: 'text', maxlength: 500, data: { name: ind.name } }),
  }));
  const collect = (withDeductions) => {
    const body = { input_hash: state.input_hash, comment: comment.value.trim() };
    const comments = {};
    for (const r of rows) if (r.comment.value.trim()) comments[r.name] = r.comment.value.trim();
    if (Object.keys(comments).length) body.indicator_comments = comments;
    if (withDeductions) {
      // A number typed with at most two decimals prints back the same in
      // JSON; the server refuses more decimals.
      const ds = rows.filter((r) => r.points.value !== '' || r.reason.value.trim())
        .map((r) => ({ indicator: r.name, points: Number(r.points.value || 0), reason: r.reason.value.trim() }));
      if (ds.length) body.deductions = ds;
    }
    return body;
  };
  const send = (action, withDeductions) => async () => {
    await api(`${path}/${action}`, { method: 'POST', json: collect(withDeductions) });
    await reload();
  };
  const back = h('button.secondary#return-button', { type: 'button' }, '退回');
  const approve = h('button.primary#approve-button', { type: 'button' }, '审核通过');
  back.addEventListener('click', () => busy(back, out, send('return', false)));
  approve.addEventListener('click', () => busy(approve, out, send('approve', true)));
  return h('div.review-form',
    h('h3', '审核'),
    field('审核意见', comment, null),
    h('div.table-wrap', h('table.grid#review-indicators',
      h('thead', h('tr', h('th', '三级指标'), h('th', '指标意见（退回时给部门）'), h('th.num', '复核扣分'), h('th', '扣分理由'))),
      h('tbody', rows.map((r) => h('tr', h('td.name', r.name), h('td', r.comment), h('td.num', r.points), h('td', r.reason)))))),
    h('p.muted', '扣分随审核通过保存为新版本：部门提交的版本保留自评得分，正式评价按复核后的版本评分。'),
    h('div.form-row', back, approve));
}

function historyTable(reviews) {
  return table([
    { label: '时间', value: (r) => r.at, cell: (r) => time(r.at) },
    { label: '操作', value: (r) => ACTION[r.action] || r.action },
    { label: '操作人', value: (r) => r.actor },
    { label: '版本', value: (r) => r.input_hash, cell: (r) => h('code', short(r.input_hash)) },
    {
      label: '意见', value: (r) => r.comment, class: 'name',
      cell: (r) => [r.comment || '',
        Object.entries(r.indicator_comments || {}).map(([n, c]) => h('div.indicator-note', `${n}：${c}`)),
        (r.deductions || []).map((d) => h('div.deduction-note', `${d.indicator} 扣 ${d.points} 分：${d.reason}`))],
    },
  ], reviews, { empty: '尚未提交', id: 'review-history' });
}

// compareVersions shows what changed between two versions the history
// names: their inputs, as indented JSON, line by line.
function compareVersions(path, state) {
  const versions = [];
  const seen = new Set();
  for (const r of state.reviews) {
    if (seen.has(r.input_hash)) continue;
    seen.add(r.input_hash);
    versions.push([r.input_hash, `${ACTION[r.action]}的版本 ${short(r.input_hash)}（${time(r.at)}）`]);
  }
  if (!seen.has(state.input_hash)) versions.push([state.input_hash, `当前版本 ${short(state.input_hash)}`]);
  if (versions.length < 2) return null;
  const from = select(versions, versions[versions.length - 2][0], { id: 'compare-from' });
  const to = select(versions, versions[versions.length - 1][0], { id: 'compare-to' });
  const out = h('div#compare-result');
  const button = h('button.secondary#compare-button', { type: 'button' }, '比较');
  button.addEventListener('click', () => busy(button, out, async () => {
    const [a, b] = await Promise.all([api(`${path}/versions/${from.value}`), api(`${path}/versions/${to.value}`)]);
    const lines = diffLines(JSON.stringify(a, null, 2), JSON.stringify(b, null, 2));
    const parts = hunks(lines);
    clear(out, parts.length ? h('pre.diff', parts.map((hunk, i) => [i ? h('div.hunk-gap', '…') : null,
      hunk.map((l) => h('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' }, `${l.op} ${l.text}`))]))
      : note('两个版本相同。'));
  }));
  return h('div.compare', h('h3', '比较版本'), h('div.form-row', field('从', from), field('到', to), button), out);
}
