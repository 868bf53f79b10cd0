// History and audit across the fleet: every machine's update history, filtered by machine, action,
// outcome, who asked, KB and time, a page at a time (/api/v1/fleet/history).
import { api, cell, el, pager, query, table, when } from './lib.js';

const FIELDS = ['machine', 'action', 'outcome', 'actor', 'kb', 'days'];
const ACTIONS = ['install', 'install-baseline', 'uninstall', 'restart', 'rollback-baseline', 'assess', 'claim', 'move', 'health-gate', 'quarantine'];
const OUTCOMES = ['requested', 'succeeded', 'failed', 'refused', 'pending-restart', 'not-attempted', 'timed-out', 'quarantined', 'cleared'];

export async function render(root, p, ctx) {
  const f = Object.fromEntries(FIELDS.map(k => [k, p[k] || '']));
  const offset = parseInt(p.offset || '0', 10) || 0;
  const page = await api('GET', '/api/v1/fleet/history' + query(Object.assign({ limit: 100, offset }, f)));
  const input = (name, label, attrs) => el('label', {}, label, el('input', Object.assign({ name, value: f[name] }, attrs || {})));
  const select = (name, label, values) => el('label', {}, label, el('select', { name },
    el('option', { value: '' }, 'All'), values.map(v => el('option', { value: v, selected: f[name] === v }, v))));
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter history', id: 'history-filters',
    onsubmit: (ev) => {
      ev.preventDefault();
      const data = Object.fromEntries(new FormData(ev.target));
      ctx.go(Object.assign({ page: 'history' }, data));
    } },
  input('machine', 'Machine (name)'), select('action', 'Action', ACTIONS), select('outcome', 'Outcome', OUTCOMES),
  input('actor', 'Who (contains)', { placeholder: 'token:admin, rollout:' }), input('kb', 'KB'),
  input('days', 'Last days', { type: 'number', min: '1', max: '3660', placeholder: '30' }),
  el('button', { type: 'submit' }, 'Filter'), FIELDS.some(k => f[k]) ? el('a', { href: '/?page=history' }, 'Clear filters') : null);
  root.append(el('h2', {}, 'History and audit'), el('section', {}, form),
    el('section', {}, table('Fleet history', ['When', 'Machine', 'Node', 'Action', 'KB', 'Outcome', 'Who', 'Details'],
      page.items.map(h => ({ attrs: { 'data-machine': h.machineName, 'data-action': h.action, 'data-outcome': h.outcome }, cells: [when(h.at),
        el('a', { href: '/?' + new URLSearchParams({ page: 'machine', machine: h.machineName }) }, h.machineName), h.node, h.action, h.kbId,
        cell(h.outcome, { class: h.outcome }), h.actor, h.details] })), 'Nothing matches these filters.', { id: 'fleet-history' }),
    pager(page, (o) => ctx.go(Object.assign({ page: 'history' }, f, { offset: o || '' })), 'History pages')));
}
