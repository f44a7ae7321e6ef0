// Calls of the public API, as a logged-in user (the session cookie, and
// its CSRF token kept for this browser tab) or with an API key kept for
// this tab.

const KEY = 'jixiao.apiKey';
const CSRF = 'jixiao.csrf';

export const session = {
  has: () => sessionStorage.getItem(KEY) !== null || sessionStorage.getItem(CSRF) !== null,
  key: () => sessionStorage.getItem(KEY) || '',
  csrf: () => sessionStorage.getItem(CSRF) || '',
  set: (key) => sessionStorage.setItem(KEY, key),
  setLogin: (csrf) => { sessionStorage.removeItem(KEY); sessionStorage.setItem(CSRF, csrf); },
  clear: () => { sessionStorage.removeItem(KEY); sessionStorage.removeItem(CSRF); },
};

// A problem answer (RFC 9457) or a network failure.
export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || '';
    this.errors = body.errors || [];
  }
}

// The key was refused: the user is sent back to the login page, and the
// page that asked stops quietly.
export class LoggedOut extends Error {}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  if (session.key()) h.Authorization = 'Bearer ' + session.key();
  else if (session.csrf()) h['X-CSRF-Token'] = session.csrf();
  return h;
}

async function problemOf(res) {
  let body = {};
  try {
    body = await res.json();
  } catch {
    body = { detail: `${res.status} ${res.statusText}` };
  }
  return new Problem(res.status, body);
}

// fetchAPI returns the response of an API call, or throws a Problem.
export async function fetchAPI(path, { method = 'GET', json, body, type, accept } = {}) {
  const extra = {};
  if (json !== undefined) {
    extra['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (type) {
    extra['Content-Type'] = type;
  }
  if (accept) extra.Accept = accept;
  let res;
  try {
    res = await fetch('/api/v1' + path, { method, body, headers: headers(extra) });
  } catch (e) {
    throw new Problem(0, { detail: '无法连接服务器：' + e.message });
  }
  if (res.status === 401) {
    const p = await problemOf(res);
    session.clear();
    const next = location.hash.startsWith('#/login') ? '' : '?next=' + encodeURIComponent(location.hash);
    sessionStorage.setItem('jixiao.loginMessage', p.message);
    location.hash = '#/login' + next;
    throw new LoggedOut(p.message);
  }
  if (!res.ok) throw await problemOf(res);
  return res;
}

// api returns the decoded JSON answer of an API call.
export async function api(path, options) {
  const res = await fetchAPI(path, options);
  return res.status === 204 ? null : res.json();
}

// allPages reads every item of a paginated list, up to max.
export async function allPages(path, max = 5000) {
  const sep = path.includes('?') ? '&' : '?';
  const items = [];
  let total = 0;
  for (let page = 1; ; page++) {
    const r = await api(`${path}${sep}per_page=1000&page=${page}`);
    items.push(...r.items);
    total = r.total;
    if (r.items.length < 1000 || items.length >= max) break;
  }
  return { items, total };
}

// download fetches a file with the key and hands it to the browser.
export async function download(href, options = {}) {
  const res = await fetchAPI(href.replace(/^\/api\/v1/, ''), { accept: '*/*', ...options });
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="([^"]+)"/i.exec(cd);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = m ? decodeURIComponent(m[1]) : href.split('/').pop();
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return { type: blob.type, size: blob.size };
}
