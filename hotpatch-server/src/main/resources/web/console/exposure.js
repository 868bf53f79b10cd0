// Exposure: per CVE and per update, how many machines are fixed in memory (a live hotpatch), fixed
// on disk (the fix is in the jars they run) or still exposed, with the exposure window from
// publication to fix; one CVE or update opens its machines and the exposed count over time.
import { api, cell, duration, el, pager, query, table, when } from './lib.js';
import { COLORS, paint, stacked, steps } from './charts.js';

export async function render(root, p, ctx) {
  const view = p.view === 'updates' ? 'updates' : 'cves';
  const offset = parseInt(p.offset || '0', 10) || 0;
  root.append(el('h2', {}, 'Exposure'));
  const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Exposure by' },
    [['cves', 'By CVE'], ['updates', 'By update']].map(([k, label]) => el('button', { type: 'button', role: 'tab', 'aria-selected': String(view === k),
      onclick: () => ctx.go({ page: 'exposure', view: k }) }, label)));
  root.append(tabs);
  if (p.kb || p.cve) {
    await detail(root, p, ctx);
  }
  const list = view === 'updates'
    ? await api('GET', '/api/v1/compliance/updates' + query({ limit: 50, offset }))
    : await api('GET', '/api/v1/compliance/cves' + query({ limit: 50, offset }));
  const parts = (r) => stacked((r.kbId || r.cve) + ' machines', [
    { key: 'memory', label: 'Fixed in memory', value: r.memory, color: COLORS.memory },
    { key: 'disk', label: 'Fixed on disk', value: r.disk, color: COLORS.disk },
    { key: 'exposed', label: 'Exposed', value: r.exposed, color: COLORS.exposed }]);
  const win = (x) => x ? 'median ' + duration(x.p50Seconds) + ', p90 ' + duration(x.p90Seconds) + (x.open ? '; ' + x.open + ' still open, longest ' + duration(x.longestOpenSeconds) : '') : '—';
  const rows = view === 'updates'
    ? list.items.map(u => ({ attrs: { 'data-kb': u.kbId }, cells: [
      el('a', { href: '/?' + new URLSearchParams({ page: 'exposure', view, kb: u.kbId }) }, u.kbId), u.title, u.image, (u.cves || []).join(', '), when(u.publishedAt),
      cell(u.machines, { class: 'num' }), cell(u.memory, { class: 'num' }), cell(u.disk, { class: 'num' }), cell(u.exposed, { class: 'num exposed' }),
      parts(u), win(u.exposure)] }))
    : list.items.map(c => ({ attrs: { 'data-cve': c.cve }, cells: [
      el('a', { href: '/?' + new URLSearchParams({ page: 'exposure', view, cve: c.cve }) }, c.cve), (c.fixes || []).join(', '), (c.images || []).join(', '),
      when(c.firstPublishedAt), cell(c.machines, { class: 'num' }), cell(c.memory, { class: 'num' }), cell(c.disk, { class: 'num' }),
      cell(c.exposed, { class: 'num exposed' }), parts(c), win(c.exposure)] }));
  const headers = view === 'updates'
    ? ['KB', 'Title', 'Image', 'CVEs', 'Published', num('Machines'), num('In memory'), num('On disk'), num('Exposed'), 'Share', 'Exposure window']
    : ['CVE', 'Fixed by', 'Images', 'First published', num('Machines'), num('In memory'), num('On disk'), num('Exposed'), 'Share', 'Exposure window'];
  root.append(el('section', {}, table(view === 'updates' ? 'Exposure per update' : 'Exposure per CVE', headers, rows,
    view === 'updates' ? 'No updates published yet.' : 'No published update names a CVE.', { id: 'exposure-list' }),
  pager(list, (o) => ctx.go({ page: 'exposure', view, offset: o || '' }))));
  paint(root);
}

function num(label) { return { label, attrs: { class: 'num' } }; }

async function detail(root, p) {
  const path = p.kb ? '/api/v1/compliance/updates/' + encodeURIComponent(p.kb) + '/machines' : '/api/v1/compliance/cves/' + encodeURIComponent(p.cve) + '/machines';
  const all = [];
  let page;
  // The chart needs every machine: pages of 1,000 until the total.
  do {
    page = await api('GET', path + query({ limit: 1000, offset: all.length }));
    all.push(...page.items);
  } while (all.length < page.total && page.items.length > 0);
  // Exposed machines over time: +1 at publication, −1 when fixed.
  const events = [];
  for (const m of all) {
    if (m.publishedAt) events.push({ t: Date.parse(m.publishedAt), d: 1 });
    if (m.fixedAt) events.push({ t: Date.parse(m.fixedAt), d: -1 });
  }
  events.sort((a, b) => a.t - b.t || b.d - a.d);
  const points = [];
  let v = 0;
  for (const e of events) {
    v += e.d;
    if (points.length && points[points.length - 1].t === e.t) points[points.length - 1].v = v; else points.push({ t: e.t, v });
  }
  // Drawn up to the server's now (its clock, not the browser's): still-exposed machines stay open until then.
  const health = await fetch('/healthz').then(r => r.json()).catch(() => null);
  const now = health && health.time ? Date.parse(health.time) : Date.now();
  const title = p.kb || p.cve;
  root.append(el('section', { id: 'exposure-detail' },
    el('h3', {}, title + ': machines'),
    steps('Exposure window of ' + title, points, now, 'machines exposed'),
    table('Machines of ' + title, ['Machine', 'Image', 'State', 'Fixed by', 'Published', 'Fixed', 'Exposure', 'Restart owed'],
      all.map(m => ({ attrs: { 'data-machine': m.machine, 'data-state': m.state }, cells: [
        el('a', { href: '/?' + new URLSearchParams({ page: 'machine', machine: m.machine }) }, m.machine), m.image,
        cell(m.state === 'memory' ? 'fixed in memory' : m.state === 'disk' ? 'fixed on disk' : 'exposed', { class: m.state }),
        m.fixedBy, when(m.publishedAt), when(m.fixedAt), duration(m.exposureSeconds) + (m.open ? ' (open)' : ''),
        m.owedRestart ? (m.owedRestart.version || '') + ' by ' + (m.owedRestart.expectedMonth || '') : ''] })), 'No machine runs an affected baseline.')));
}
