// The page shell: hash routes, the login page and the navigation.

import { session, LoggedOut } from './api.js';
import { h, add, clear, problemBox, card, note, field } from './ui.js';
import { forget } from './shared.js';
import * as projects from './projects.js';
import * as project from './project.js';
import * as rulesets from './rulesets.js';
import * as whatif from './whatif.js';
import * as importer from './import.js';
import * as people from './people.js';
import * as review from './review.js';

const routes = [
  [/^projects\/(\d+)\/(.+)$/, project.render, 'projects'],
  [/^projects$/, projects.render, 'projects'],
  [/^rulesets\/(.+)$/, rulesets.renderOne, 'rulesets'],
  [/^rulesets$/, rulesets.render, 'rulesets'],
  [/^whatif$/, whatif.render, 'whatif'],
  [/^import$/, importer.render, 'import'],
  [/^people$/, people.render, 'people'],
  [/^review$/, review.render, 'review'],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logout = document.getElementById('logout');

// route renders the page the hash names into a fresh view, so that a
// page still loading when the user moves on writes nowhere visible.
async function route() {
  const [path, qs] = location.hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(qs || '');
  if (path === 'login' || !session.has()) {
    if (path !== 'login') {
      location.replace('#/login?next=' + encodeURIComponent(location.hash || '#/projects'));
      return;
    }
    showNav(false);
    clear(main, login(query));
    return;
  }
  showNav(true);
  const found = routes.find(([re]) => re.test(path));
  if (!found) {
    location.replace('#/projects');
    return;
  }
  const [re, render, section] = found;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.nav === section);
  const view = h('div.view', { data: { page: section } });
  clear(main, view);
  const args = re.exec(path).slice(1).map(decodeURIComponent);
  try {
    await render(view, args, query);
  } catch (e) {
    if (!(e instanceof LoggedOut)) add(view, problemBox(e, '页面加载失败'));
  }
  view.dataset.ready = 'true';
}

function showNav(on) {
  nav.hidden = !on;
  logout.hidden = !on;
}

function login(query) {
  const message = sessionStorage.getItem('jixiao.loginMessage');
  sessionStorage.removeItem('jixiao.loginMessage');
  const out = h('div', message ? note('请重新登录：' + message, 'warning') : null);
  const enter = () => {
    forget();
    const next = query.get('next');
    location.hash = next && !next.startsWith('#/login') ? next : '#/projects';
  };

  // A person: name and password; a temporary password is changed first.
  const name = h('input#login-name', { type: 'text', autocomplete: 'username', spellcheck: 'false' });
  const password = h('input#login-password', { type: 'password', autocomplete: 'current-password' });
  const passwordButton = h('button.primary#password-login-button', { type: 'submit' }, '登录');
  const passwordForm = h('form.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      passwordButton.disabled = true;
      try {
        const res = await fetch('/api/v1/session', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ name: name.value.trim(), password: password.value }),
        });
        const body = await res.json().catch(() => ({}));
        if (!res.ok) {
          clear(out, problemBox({ status: res.status, message: body.detail || res.statusText, errors: body.errors || [] }, '无法登录'));
          return;
        }
        session.setLogin(body.csrf_token);
        if (body.user.must_change_password) {
          clear(out, changePassword(password.value, enter));
          return;
        }
        enter();
      } catch (e) {
        clear(out, problemBox({ message: e.message }, '无法连接服务器'));
      } finally {
        passwordButton.disabled = false;
      }
    },
  },
  field('用户名', name, null),
  field('密码', password, ['连续输错 5 次后须等待一段时间再试。']),
  passwordButton, out);

  // A machine's API key, or none when the service runs with --auth off.
  const input = h('input#api-key', { type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'jx_…' });
  const button = h('button#login-button', { type: 'submit' }, '使用密钥登录');
  const keyOut = h('div');
  const form = h('form.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      const key = input.value.trim();
      try {
        const res = await fetch('/api/v1/rulesets', { headers: key ? { Authorization: 'Bearer ' + key } : {} });
        if (!res.ok) {
          const body = await res.json().catch(() => ({}));
          clear(keyOut, problemBox({ status: res.status, message: body.detail || res.statusText, errors: [] }, '无法登录'));
          return;
        }
        session.set(key);
        enter();
      } catch (e) {
        clear(keyOut, problemBox({ message: e.message }, '无法连接服务器'));
      } finally {
        button.disabled = false;
      }
    },
  },
  field('API 密钥', input, ['由管理员发放；仅保存在本浏览器标签页中，关闭后需重新输入。服务以 ', h('code', '--auth off'), ' 运行时可留空。']),
  button, keyOut);
  const view = h('div.view.narrow', { data: { page: 'login', ready: 'true' } },
    card('登录', passwordForm), card('使用 API 密钥', form));
  queueMicrotask(() => name.focus());
  return view;
}

// changePassword asks a user logged in with a temporary password for a
// password of their own, then goes on.
function changePassword(current, then) {
  const next = h('input#new-password', { type: 'password', autocomplete: 'new-password' });
  const again = h('input#new-password-again', { type: 'password', autocomplete: 'new-password' });
  const out = h('div');
  const button = h('button.primary#change-password-button', { type: 'submit' }, '修改密码并继续');
  return h('form.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (next.value !== again.value) {
        clear(out, note('两次输入的新密码不一致', 'warning'));
        return;
      }
      button.disabled = true;
      try {
        const res = await fetch('/api/v1/session/password', {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': session.csrf() },
          body: JSON.stringify({ current_password: current, new_password: next.value }),
        });
        const body = await res.json().catch(() => ({}));
        if (!res.ok) {
          clear(out, problemBox({ status: res.status, message: body.detail || res.statusText, errors: body.errors || [] }, '无法修改密码'));
          return;
        }
        session.setLogin(body.csrf_token);
        then();
      } finally {
        button.disabled = false;
      }
    },
  },
  note('这是管理员设置的临时密码，请先设置自己的密码（至少 8 个字符）。', 'warning'),
  field('新密码', next, null),
  field('再次输入新密码', again, null),
  button, out);
}

logout.addEventListener('click', async () => {
  if (!session.key() && session.csrf()) {
    // Ends the session on the server too; an ended one is fine.
    await fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': session.csrf() } }).catch(() => {});
  }
  session.clear();
  forget();
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
