// Fleet overview: the selection's counts as charts (by hotpatch status, by missing classification,
// by image and baseline), filters (search, image, region, zone, tag, status, missing), and the
// machines a page at a time, paged by the server (/api/v1/fleet/machines and /summary).
import { api, cell, el, pager, query, table, when } from './lib.js';
import { COLORS, bars, paint } from './charts.js';

const FILTERS = ['q', 'image', 'region', 'zone', 'tag', 'status', 'missing'];

export async function render(root, p, ctx) {
  const f = Object.fromEntries(FILTERS.map(k => [k, p[k] || '']));
  const offset = parseInt(p.offset || '0', 10) || 0;
  const limit = Math.min(1000, parseInt(p.limit || '50', 10) || 50);
  const [summary, page] = await Promise.all([
    api('GET', '/api/v1/fleet/summary' + query(f)),
    api('GET', '/api/v1/fleet/machines' + query(Object.assign({ limit, offset }, f)))]);
  const link = (extra) => '/?' + new URLSearchParams(Object.entries(Object.assign({ page: 'fleet' }, f, extra))
    .filter(([, v]) => v)).toString();
  const refilter = (extra) => ctx.go(Object.assign({ page: 'fleet' }, f, extra, { offset: '' }));

  const select = (name, label, values, all) => el('label', {}, label,
    el('select', { name, onchange: (ev) => refilter({ [name]: ev.target.value }) },
      el('option', { value: '' }, all), values.map(v => typeof v === 'string'
        ? el('option', { value: v, selected: f[name] === v }, v)
        : el('option', { value: v.value, selected: f[name] === v.value }, v.label))));
  const search = el('input', { name: 'q', type: 'search', value: f.q, placeholder: 'name contains' });
  const filters = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter machines', onsubmit: (ev) => { ev.preventDefault(); refilter({ q: search.value.trim() }); } },
    el('label', {}, 'Search', search),
    select('image', 'Image', summary.facets.images.map(i => ({ value: i.name, label: i.name })), 'All images'),
    select('region', 'Region', summary.facets.regions, 'All regions'),
    select('zone', 'Zone', summary.facets.zones, 'All zones'),
    select('tag', 'Tag', summary.facets.tags, 'All tags'),
    select('status', 'Hotpatch status', summary.facets.statuses, 'All statuses'),
    select('missing', 'Missing', [{ value: 'critical', label: 'critical updates' }, { value: 'security', label: 'security updates' },
      { value: 'other', label: 'other updates' }, { value: 'any', label: 'any update' }, { value: 'none', label: 'nothing' }], 'Any'),
    el('button', { type: 'submit' }, 'Search'),
    FILTERS.some(k => f[k]) ? el('a', { href: '/?page=fleet' }, 'Clear filters') : null);

  const statusChart = bars('Machines by hotpatch status', Object.entries(summary.byStatus).map(([k, v]) =>
    ({ key: k, label: k, value: v, color: COLORS[k], href: link({ status: k }) })));
  const m = summary.byMissing;
  const missingChart = bars('Machines by missing classification', [
    { key: 'critical', label: 'Missing critical', value: m.critical, color: COLORS.critical, href: link({ missing: 'critical' }) },
    { key: 'security', label: 'Missing security', value: m.security, color: COLORS.security, href: link({ missing: 'security' }) },
    { key: 'other', label: 'Missing other', value: m.other, color: COLORS.other, href: link({ missing: 'other' }) },
    { key: 'none', label: 'Up to date', value: m.none, color: COLORS.none, href: link({ missing: 'none' }) }]);
  const baselineChart = bars('Machines by image and baseline', summary.byBaseline.map(b => ({
    key: (b.image || 'unmatched') + ' ' + (b.baselineVersion || ''),
    label: b.image ? b.image + ' ' + (b.baselineVersion || '(no baseline)') : 'No matching baseline', value: b.machines,
    href: b.image ? link({ image: b.image }) : null })));

  const rows = page.items.map(r => ({ attrs: { 'data-machine': r.name }, cells: [
    el('a', { href: '/?' + new URLSearchParams({ page: 'machine', machine: r.name }) }, r.name),
    cell(r.status, { class: 'status ' + r.status }),
    r.present ? 'Running' : el('span', { class: 'reason' }, 'Not running'),
    r.image ? r.image + ' ' + (r.baselineVersion || '') : el('span', { class: 'muted' }, '—'),
    [r.region, r.zone].filter(x => x).join(' / '),
    Object.entries(r.tags || {}).map(([k, v]) => k + '=' + v).join(', '),
    cell(r.missing.total, { class: 'num' }), cell(r.missing.critical, { class: 'num' }), cell(r.missing.security, { class: 'num' }),
    when(r.lastAssessedAt)] }));
  const goPage = (o) => ctx.go(Object.assign({ page: 'fleet' }, f, { limit: p.limit, offset: o || '' }));

  root.append(
    el('h2', {}, 'Fleet overview'),
    el('section', { 'aria-label': 'Filters' }, filters),
    el('div', { class: 'counts', id: 'fleet-counts' },
      el('div', { 'data-key': 'total', 'data-count': summary.total }, el('b', {}, summary.total.toLocaleString('en-US')), 'Machines'),
      el('div', { 'data-key': 'present', 'data-count': summary.present }, el('b', {}, summary.present.toLocaleString('en-US')), 'Running'),
      el('div', { 'data-key': 'enabled', 'data-count': summary.byStatus.Enabled }, el('b', {}, summary.byStatus.Enabled), 'Hotpatch enabled'),
      el('div', { 'data-key': 'missing', 'data-count': summary.total - m.none }, el('b', {}, summary.total - m.none), 'Missing updates')),
    el('div', { class: 'grid' }, el('section', {}, statusChart), el('section', {}, missingChart), el('section', {}, baselineChart)),
    el('section', { 'aria-label': 'Machines' },
      el('h3', {}, 'Machines'),
      table('Machines of the selection', ['Name', 'Status', 'Running', 'Image and baseline', 'Region / zone', 'Tags',
        { label: 'Missing', attrs: { class: 'num' } }, { label: 'Critical', attrs: { class: 'num' } }, { label: 'Security', attrs: { class: 'num' } },
        'Last assessed'], rows, 'No machine matches these filters.', { id: 'fleet-machines' }),
      pager(page, goPage, 'Machine pages')));
  paint(root);
}
