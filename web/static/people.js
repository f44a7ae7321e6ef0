// 用户与部门 (admin): the people who log in, and the departments that
// projects and scoped accounts belong to.

import { api } from './api.js';
import { h, add, clear, card, table, note, busy, time, field, select } from './ui.js';

const roles = [['viewer', '查看（viewer）'], ['scorer', '填报与评分（scorer）'], ['reviewer', '审核（reviewer）'], ['admin', '管理员（admin）']];
const roleName = Object.fromEntries(roles);

export function render(view) {
  return page(view, null);
}

// page renders the page, with message (what the last action did) on top.
async function page(view, message) {
  const [users, deps] = await Promise.all([api('/users'), api('/departments')]);
  const live = deps.items.filter((d) => !d.merged_into);
  const depName = Object.fromEntries(deps.items.map((d) => [d.code, d.name]));
  const depOptions = (first) => [['', first], ...live.map((d) => [d.code, `${d.name}（${d.code}）`])];
  const reload = (msg) => { clear(view); return page(view, msg); };
  const out = h('div#people-out', message);

  // A temporary password is shown once, here.
  const shown = (title, name, password) => h('div.alert.success', { role: 'status' },
    h('strong', title), h('span', `用户名 ${name}，临时密码 `), h('code#temporary-password', password),
    h('span', '（只显示这一次；首次登录时须修改）'));

  const name = h('input#new-user-name', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const display = h('input#new-user-display', { type: 'text' });
  const role = select(roles, 'scorer', { id: 'new-user-role' });
  const dep = select(depOptions('全局（财政局）'), '', { id: 'new-user-department' });
  const create = h('button.primary#create-user', { type: 'submit' }, '新建用户');
  const createForm = h('form.inline-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(create, out, async () => {
        const body = { name: name.value.trim(), display_name: display.value.trim(), role: role.value };
        if (dep.value) body.department_code = dep.value;
        const res = await api('/users', { method: 'POST', json: body });
        await reload(shown('已新建用户。', res.user.name, res.password));
      });
    },
  }, field('用户名', name, '字母、数字和 . _ -'), field('姓名', display), field('角色', role),
  field('部门', dep, '部门账户只能看到本部门及下级单位的项目，不能是审核员或管理员'), create);

  const userRows = table([
    { label: '用户名', value: (u) => u.name, cell: (u) => h('code', u.name) },
    { label: '姓名', value: (u) => u.display_name },
    { label: '角色', value: (u) => roleName[u.role] || u.role },
    { label: '部门', value: (u) => (u.department_code ? depName[u.department_code] || u.department_code : '全局') },
    { label: '状态', value: (u) => (u.disabled_at ? '已停用' : u.must_change_password ? '待修改临时密码' : '正常') },
    { label: '创建时间', value: (u) => u.created_at, cell: (u) => time(u.created_at) },
    {
      label: '操作', value: () => '', sort: false, cell: (u) => {
        const reset = h('button.secondary.small', { type: 'button', data: { user: u.name }, class: 'reset-password' }, '重置密码');
        reset.onclick = () => busy(reset, out, async () => {
          const res = await api(`/users/${u.id}/password`, { method: 'POST' });
          clear(out, shown('已重置密码。', res.user.name, res.password));
        });
        const toggle = h('button.secondary.small', { type: 'button', data: { user: u.name }, class: 'toggle-user' }, u.disabled_at ? '启用' : '停用');
        toggle.onclick = () => busy(toggle, out, async () => {
          await api(`/users/${u.id}`, { method: 'PATCH', json: { disabled: !u.disabled_at } });
          await reload(note(`已${u.disabled_at ? '启用' : '停用'}用户 ${u.name}。`, 'success'));
        });
        return [reset, ' ', toggle];
      },
    },
  ], users.items, { sortable: true, id: 'users-table', empty: '还没有用户' });

  const code = h('input#new-department-code', { type: 'text', spellcheck: 'false' });
  const depNameInput = h('input#new-department-name', { type: 'text' });
  const parent = select(depOptions('（无上级）'), '', { id: 'new-department-parent' });
  const addDep = h('button.primary#create-department', { type: 'submit' }, '新建部门');
  const depForm = h('form.inline-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(addDep, out, async () => {
        const body = { code: code.value.trim(), name: depNameInput.value.trim() };
        if (parent.value) body.parent_code = parent.value;
        await api('/departments', { method: 'POST', json: body });
        await reload(note(`已新建部门 ${body.name}（${body.code}）。`, 'success'));
      });
    },
  }, field('部门编码', code), field('部门名称', depNameInput), field('上级部门', parent), addDep);

  const from = select(depOptions('选择要合并的部门'), '', { id: 'merge-from' });
  const into = select(depOptions('合并到'), '', { id: 'merge-into' });
  const merge = h('button.secondary#merge-department', { type: 'submit' }, '合并');
  const mergeForm = h('form.inline-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(merge, out, async () => {
        const res = await api(`/departments/${encodeURIComponent(from.value)}/merge`, { method: 'POST', json: { into: into.value } });
        await reload(note(`已合并，移动了 ${res.moved_projects} 个项目；原部门名称导入时将归入目标部门。`, 'success'));
      });
    },
  }, field('部门', from), field('合并到', into), merge);

  const depRows = table([
    { label: '编码', value: (d) => d.code, cell: (d) => h('code', d.code) },
    { label: '名称', value: (d) => d.name },
    { label: '上级部门', value: (d) => (d.parent_code ? depName[d.parent_code] || d.parent_code : '') },
    { label: '项目数', value: (d) => d.projects, num: true, cell: (d) => String(d.projects) },
    { label: '状态', value: (d) => (d.merged_into ? `已合并到 ${depName[d.merged_into] || d.merged_into}` : '') },
  ], deps.items, { sortable: true, id: 'departments-table', empty: '还没有部门' });

  add(view,
    h('div.page-head', h('h1', '用户与部门'), h('p.muted', '导入项目时按“主管部门”名称匹配部门，新名称自动建立部门（编码以 D 开头）；可将其合并到财政局设定编码的部门。')),
    out,
    card('用户', userRows, createForm),
    card('部门', depRows, depForm, h('h3', '合并部门'), mergeForm));
}
