// Shared helpers of the console's pages: the API client (the token goes in a header, never in a
// URL), DOM building, times shown in UTC and local time, tables, pagers and a confirmation dialog.

const TOKEN_KEY = 'hotpatch.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) { sessionStorage.setItem(TOKEN_KEY, t); }

/** Calls the API with the session's token; a FormData body is sent as multipart. Throws an Error with the server's message and hint. */
export async function api(method, path, body) {
  const headers = { 'Authorization': 'Bearer ' + token() };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(path, { method, headers, body: payload });
  const data = (res.headers.get('Content-Type') || '').includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const e = new Error((data && data.message ? data.message : 'HTTP ' + res.status) + (data && data.hint ? '\n' + data.hint : ''));
    e.status = res.status;
    e.code = data && data.error;
    throw e;
  }
  return data;
}

/** Builds a query string from the fields that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

export function text(v) { return v === null || v === undefined ? '' : String(v); }

/** Creates an element: attributes (on… are listeners; true/false toggle boolean attributes) and children (strings or nodes). */
export function el(tag, attrs, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(text(c)));
  }
  return e;
}

const pad = (n) => String(n).padStart(2, '0');
function utc(d) { return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()); }
function local(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }

/** The UTC text of an ISO instant: "2026-02-20 10:56:00 UTC". */
export function utcText(iso) { return iso ? utc(new Date(iso)) + ' UTC' : 'never'; }

/** A time element showing an instant in UTC and, below, in the browser's local time, both labelled. */
export function when(iso) {
  if (!iso) return el('span', { class: 'muted' }, 'never');
  const d = new Date(iso);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  return el('time', { datetime: iso, class: 'when' }, utc(d) + ' UTC', el('small', {}, local(d) + ' local (' + zone + ')'));
}

/** A date only (calendar days are UTC dates). */
export function day(iso) { return iso ? String(iso).slice(0, 10) : ''; }

/** Seconds as a short duration: 3d 4h, 2h 5m, 40s. */
export function duration(s) {
  if (s === null || s === undefined) return '—';
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm';
  return Math.round(s) + 's';
}

/** A table with a caption; rows are arrays of cells (strings, nodes, or {value, class}). */
export function table(caption, headers, rows, empty, attrs) {
  const head = el('thead', {}, el('tr', {}, headers.map(h => typeof h === 'string' ? el('th', { scope: 'col' }, h) : el('th', Object.assign({ scope: 'col' }, h.attrs), h.label))));
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr', r.attrs || {});
    for (const c of (r.cells || r)) tr.append(isCell(c) ? el('td', c.attrs || {}, c.cell) : el('td', {}, c));
    body.append(tr);
  }
  if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, empty || 'Nothing to show.')));
  return el('table', attrs || {}, caption ? el('caption', { class: 'visually-hidden' }, caption) : null, head, body);
}

function isCell(c) { return c !== null && typeof c === 'object' && !(c instanceof Node) && !Array.isArray(c) && 'cell' in c; }

/** A cell with attributes (classes, data-…). */
export function cell(content, attrs) { return { cell: content === undefined || content === null ? '' : content, attrs }; }

/** "Showing 51–100 of 10,000" with previous and next buttons; {@code go(offset)} loads another page. */
export function pager(page, go, label) {
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = Math.min(page.offset + page.items.length, page.total);
  return el('nav', { class: 'pager', 'aria-label': label || 'Pages' },
    el('button', { class: 'secondary', type: 'button', disabled: page.offset === 0, onclick: () => go(Math.max(0, page.offset - page.limit)) }, '← Previous'),
    el('span', { class: 'range' }, 'Showing ' + from + '–' + to + ' of ' + page.total.toLocaleString('en-US')),
    el('button', { class: 'secondary', type: 'button', disabled: to >= page.total, onclick: () => go(page.offset + page.limit) }, 'Next →'));
}

/** Asks before a consequential action; resolves true when confirmed. Keyboard: Enter confirms, Escape cancels. */
export function confirmAction(title, message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = el('dialog', { 'aria-labelledby': 'confirm-title', id: 'confirm-dialog' });
    const form = el('form', { method: 'dialog' },
      el('h3', { id: 'confirm-title' }, title),
      el('p', {}, message),
      el('div', { class: 'actions' },
        el('button', { value: 'ok', class: 'danger' }, confirmLabel),
        el('button', { value: 'cancel', class: 'secondary', formnovalidate: true }, 'Cancel')));
    dialog.append(form);
    document.body.append(dialog);
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'ok'); dialog.remove(); });
    dialog.showModal();
  });
}

export function showError(e) { document.getElementById('error').textContent = e && e.message ? e.message : text(e); }
export function clearMessages() { document.getElementById('error').textContent = ''; document.getElementById('notice').textContent = ''; }
export function notice(t) { document.getElementById('notice').textContent = t; }

/** Calls {@code fn} now and every {@code ms} while the page is shown; returns the function that stops it. Errors are shown, polling goes on. */
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (e) { showError(e); }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

/** Replaces a container's children only when the data it shows changed (keeps focus and scroll while polling). */
export function update(container, data, render) {
  const key = JSON.stringify(data);
  if (container.dataset.key === key) return false;
  container.dataset.key = key;
  container.replaceChildren(...[render(data)].flat().filter(x => x));
  return true;
}
