// The page shell: hash routes, the login page and the navigation.

import { session, LoggedOut } from './api.js';
import { h, add, clear, problemBox, card, note, field } from './ui.js';
import { forget } from './shared.js';
import * as projects from './projects.js';
import * as project from './project.js';
import * as rulesets from './rulesets.js';
import * as whatif from './whatif.js';
import * as importer from './import.js';

const routes = [
  [/^projects\/(\d+)\/(.+)$/, project.render, 'projects'],
  [/^projects$/, projects.render, 'projects'],
  [/^rulesets\/(.+)$/, rulesets.renderOne, 'rulesets'],
  [/^rulesets$/, rulesets.render, 'rulesets'],
  [/^whatif$/, whatif.render, 'whatif'],
  [/^import$/, importer.render, 'import'],
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
  const input = h('input#api-key', { type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'jx_…' });
  const out = h('div', message ? note('请重新登录：' + message, 'warning') : null);
  const button = h('button.primary#login-button', { type: 'submit' }, '登录');
  const form = h('form.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      const key = input.value.trim();
      try {
        const res = await fetch('/api/v1/rulesets', { headers: key ? { Authorization: 'Bearer ' + key } : {} });
        if (!res.ok) {
          const body = await res.json().catch(() => ({}));
          clear(out, problemBox({ status: res.status, message: body.detail || res.statusText, errors: [] }, '无法登录'));
          return;
        }
        session.set(key);
        forget();
        const next = query.get('next');
        location.hash = next && !next.startsWith('#/login') ? next : '#/projects';
      } catch (e) {
        clear(out, problemBox({ message: e.message }, '无法连接服务器'));
      } finally {
        button.disabled = false;
      }
    },
  },
  field('API 密钥', input, ['由管理员发放；仅保存在本浏览器标签页中，关闭后需重新输入。服务以 ', h('code', '--auth off'), ' 运行时可留空。']),
  button, out);
  const view = h('div.view.narrow', { data: { page: 'login', ready: 'true' } }, card('登录', form));
  queueMicrotask(() => input.focus());
  return view;
}

logout.addEventListener('click', () => {
  session.clear();
  forget();
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
