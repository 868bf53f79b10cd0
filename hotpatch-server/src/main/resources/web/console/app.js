// The console's entry point: keeps the token (sessionStorage only; a one-click link may carry it
// in the fragment, which never reaches a server, and it is removed from the address bar at once),
// and routes between pages. The page and what it shows (machine, filters, rollout…) live in the
// query string, so a reload or a shared link opens the same view; the token never does.
import { api, clearMessages, el, setToken, showError, token } from './lib.js';
import * as fleet from './fleet.js';
import * as machine from './machine.js';
import * as exposure from './exposure.js';
import * as calendar from './calendar.js';
import * as rollouts from './rollouts.js';
import * as history from './history.js';

const PAGES = { fleet, machine, exposure, calendar, rollouts, history };
const root = document.getElementById('page');
let stop = null;
let whoami = null;

// A link may carry #token=…&machine=… (the fragment never reaches the server).
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) setToken(fragment.get('token'));
if (location.hash) {
  const params = new URLSearchParams(location.search);
  if (fragment.get('machine')) { params.set('page', 'machine'); params.set('machine', fragment.get('machine')); }
  const qs = params.toString();
  history_replace(location.pathname + (qs ? '?' + qs : ''));
}

function history_replace(url) { window.history.replaceState(null, '', url); }

/** The current view's parameters. */
function params() { return Object.fromEntries(new URLSearchParams(location.search)); }

/** Opens a view: pushes it on the history (back goes back) and renders it. */
function go(p, replace) {
  const qs = new URLSearchParams(Object.entries(p).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  const url = location.pathname + (qs ? '?' + qs : '');
  if (replace) window.history.replaceState(null, '', url); else window.history.pushState(null, '', url);
  render();
}

/** Records a view's state in the URL without rendering again (filters, tabs, pages). */
function remember(p) {
  const qs = new URLSearchParams(Object.entries(p).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  window.history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
}

async function render() {
  if (stop) { stop(); stop = null; }
  clearMessages();
  const p = params();
  const name = PAGES[p.page] ? p.page : (p.machine ? 'machine' : 'fleet');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.getElementById('token').value = token();
  if (!token()) {
    root.replaceChildren(el('p', { class: 'muted' }, 'Enter an API token above to use the console.'));
    showError('Enter an API token (the admin token is in the server data folder, admin.token).');
    return;
  }
  try {
    if (!whoami) whoami = await api('GET', '/api/v1/whoami');
  } catch (e) { showError(e); root.replaceChildren(); return; }
  const ctx = { go, remember, params: p, whoami, page: name };
  root.replaceChildren();
  try {
    stop = (await PAGES[name].render(root, p, ctx)) || null;
  } catch (e) { showError(e); }
}

document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  setToken(document.getElementById('token').value.trim());
  whoami = null;
  render();
});
document.getElementById('nav').addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-page]');
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  ev.preventDefault();
  const keep = a.dataset.page === 'machine' && params().machine ? { machine: params().machine } : {};
  go(Object.assign({ page: a.dataset.page }, keep));
  root.focus();
});
// In-page links to other views (…?page=machine&machine=x) open without a reload.
root.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[href^="/?"]');
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  ev.preventDefault();
  go(Object.fromEntries(new URLSearchParams(a.getAttribute('href').slice(2))));
  window.scrollTo(0, 0);
});
window.addEventListener('popstate', render);
render();
