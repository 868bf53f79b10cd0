// Rollouts: the list, and one rollout's waves, per-machine states, health-gate results (the
// rollout's events and each machine's reason), why it halted, Resume and Cancel; with the
// maintenance windows and approval rules of its image. A rollout in motion refreshes itself.
import { api, cell, confirmAction, el, every, notice, pager, query, showError, table, update, utcText, when } from './lib.js';

export async function render(root, p, ctx) {
  if (p.rollout) return detail(root, p, ctx);
  const offset = parseInt(p.offset || '0', 10) || 0;
  const page = await api('GET', '/api/v1/rollouts' + query({ state: p.state, limit: 50, offset }));
  root.append(el('h2', {}, 'Rollouts'),
    el('section', { class: 'filters', 'aria-label': 'Filter rollouts' }, el('label', {}, 'State',
      el('select', { onchange: (ev) => ctx.go({ page: 'rollouts', state: ev.target.value }) },
        ['', 'running', 'halted', 'completed', 'canceled'].map(s => el('option', { value: s, selected: (p.state || '') === s }, s || 'All states'))))),
    el('section', {}, table('Rollouts', ['Rollout', 'Target', 'Image', 'State', 'Wave', 'Machines', 'Started', 'By'],
      page.items.map(r => ({ attrs: { 'data-rollout': r.id, 'data-state': r.state }, cells: [
        el('a', { href: '/?' + new URLSearchParams({ page: 'rollouts', rollout: r.id }) }, r.id), r.title ? r.target + ' — ' + r.title : r.target, r.image,
        cell(r.state, { class: 'status ' + r.state }), r.currentWave + ' of ' + r.waveCount, counts(r.machines), when(r.createdAt), r.createdBy] })),
      'No rollouts yet: start one with hotpatch rollout start or POST /api/v1/rollouts; automatic patching starts them itself.', { id: 'rollouts' }),
    pager(page, (o) => ctx.go({ page: 'rollouts', state: p.state, offset: o || '' }))));
}

function counts(m) {
  return Object.entries(m || {}).filter(([, n]) => n > 0).map(([k, n]) => k.replace(/_/g, ' ') + ' ' + n).join(', ');
}

async function detail(root, p, ctx) {
  const id = encodeURIComponent(p.rollout);
  const canAct = ['operator', 'admin'].includes(ctx.whoami.role);
  const head = el('div');
  const waves = el('section', { 'aria-label': 'Waves' });
  const machines = el('section', { 'aria-label': 'Machines' });
  const events = el('section', { 'aria-label': 'Events' });
  const rules = el('section', { 'aria-label': 'Windows and approval rules' });
  root.append(el('p', {}, el('a', { href: '/?page=rollouts' }, '← All rollouts')), head, waves, machines, el('div', { class: 'grid' }, events, rules));

  async function act(what, title, text) {
    if (!await confirmAction(title, text, title)) return;
    try {
      const r = await api('POST', '/api/v1/rollouts/' + id + '/' + what, {});
      notice('Rollout ' + r.id + ' is ' + r.state);
      await refresh();
    } catch (e) { showError(e); }
  }

  let rulesFor = null;
  async function refresh() {
    const [r, ms] = await Promise.all([api('GET', '/api/v1/rollouts/' + id), api('GET', '/api/v1/rollouts/' + id + '/machines?limit=1000')]);
    const noAct = canAct ? null : 'Your token\'s role (' + ctx.whoami.role + ') may read but not act.';
    update(head, { r: [r.state, r.haltReason, r.currentWave, r.machines, r.failures, r.updatedAt], noAct }, () => [
      el('h2', {}, 'Rollout ', r.id),
      el('p', {}, (r.kind === 'baseline' ? 'Baseline ' : 'Hotpatch ') + r.target + (r.title ? ' — ' + r.title : '') + ' to ' + r.image
        + (r.ring ? ', ring ' + r.ring : '') + ' (' + r.origin + ', started by ' + r.createdBy + ' ' + utcText(r.createdAt) + ')'),
      el('p', {}, 'State: ', el('span', { class: 'status ' + r.state, id: 'rollout-state' }, r.state), ' — wave ' + r.currentWave + ' of ' + r.waveCount
        + '; failures ' + r.failures + ' (error budget ' + r.errorBudget + '); ' + counts(r.machines)),
      r.haltReason && r.state === 'halted' ? el('div', { class: 'alert', id: 'halt-reason', role: 'alert' }, el('b', {}, 'Halted: '), r.haltReason,
        r.haltedAt ? el('div', { class: 'muted' }, 'at ' + utcText(r.haltedAt)) : null) : null,
      el('div', { class: 'actions' },
        el('button', { type: 'button', disabled: r.state !== 'halted' || !!noAct, title: r.state !== 'halted' ? 'only a halted rollout resumes' : noAct,
          onclick: () => act('resume', 'Resume', 'Resume rollout ' + r.id + '? Machines that failed stay as they are; the next waves start.') }, 'Resume'),
        el('button', { type: 'button', class: 'danger', disabled: !['running', 'halted'].includes(r.state) || !!noAct,
          title: !['running', 'halted'].includes(r.state) ? 'the rollout is ' + r.state : noAct,
          onclick: () => act('cancel', 'Cancel rollout', 'Cancel rollout ' + r.id + '? No further machine starts; machines already patched keep the update.') }, 'Cancel rollout')),
      noAct ? el('p', { class: 'reason' }, noAct) : null]);
    update(waves, r.waves, () => [el('h3', {}, 'Waves'), table('Waves', ['Wave', 'Phase', 'What', 'Machines', 'State', 'Started', 'Completed'],
      r.waves.map(w => ({ attrs: { 'data-wave': w.wave, 'data-state': w.state }, cells: [w.wave, w.phase, w.description, counts(w.machines) || w.machineCount,
        cell(w.state, { class: 'status ' + w.state }), when(w.startedAt), when(w.completedAt)] })), 'No waves.', { id: 'waves' })]);
    update(machines, ms.items, () => [el('h3', {}, 'Machines and health-gate results'),
      table('Machines of the rollout', ['Machine', 'Wave', 'Region / zone', 'Set / UD', 'State', 'Why (gate result)', 'Attempts', 'Installed', 'Completed'],
        ms.items.map(m => ({ attrs: { 'data-machine': m.machine, 'data-state': m.state }, cells: [
          el('a', { href: '/?' + new URLSearchParams({ page: 'machine', machine: m.machine }) }, m.machine), m.wave,
          [m.region, m.zone].filter(x => x).join(' / '), [m.availabilitySet, m.updateDomain].filter(x => x !== null && x !== undefined).join(' / '),
          cell(m.state.replace(/_/g, ' '), { class: 'status ' + m.state }), m.reason || '', m.attempts, when(m.installedAt), when(m.completedAt)] })),
        'No machines.', { id: 'rollout-machines' })]);
    update(events, r.events, () => [el('h3', {}, 'Events (latest first)'), table('Events', ['When', 'Wave', 'Kind', 'Who', 'Message'],
      (r.events || []).map(e => ({ attrs: { 'data-kind': e.kind }, cells: [when(e.at), e.wave, e.kind, e.actor, e.message] })), 'No events.', { id: 'events' })]);
    if (rulesFor !== r.imageId) {
      rulesFor = r.imageId;
      rules.replaceChildren(...await rulesOf(r));
    }
    return r;
  }
  await refresh();
  return every(2000, refresh);
}

async function rulesOf(r) {
  const image = encodeURIComponent(r.imageId);
  const [fleet, own, approvals] = await Promise.all([
    api('GET', '/api/v1/policies/fleet').catch(() => null),
    api('GET', '/api/v1/policies/image/' + image).catch(() => null),
    api('GET', '/api/v1/approvals?image=' + image).catch(() => [])]);
  const s = Object.assign({}, fleet && fleet.settings, own && own.settings);
  const src = (k) => own && own.settings && own.settings[k] !== null && own.settings[k] !== undefined ? 'image' : fleet && fleet.settings && fleet.settings[k] !== null && fleet.settings[k] !== undefined ? 'fleet' : 'default';
  const rows = [['Maintenance window', s.window || 'default (see docs/rollouts.md)', src('window')], ['Time zone', s.timeZone || 'machine\'s own', src('timeZone')],
    ['Patch mode', s.patchMode || 'default', src('patchMode')], ['Rings', (s.rings || []).join(' → ') || '—', src('rings')],
    ['Promote after', s.promoteAfterHours !== undefined && s.promoteAfterHours !== null ? s.promoteAfterHours + ' h' : '—', src('promoteAfterHours')],
    ['Approve after', s.delayHours !== undefined && s.delayHours !== null ? s.delayHours + ' h' : '—', src('delayHours')],
    ['Classifications', (s.classifications || []).join(', ') || 'all', src('classifications')],
    ['Soak', s.soakMinutes !== undefined && s.soakMinutes !== null ? s.soakMinutes + ' min' : 'default', src('soakMinutes')],
    ['Error budget', [s.maxFailures !== undefined && s.maxFailures !== null ? s.maxFailures + ' machine(s)' : null, s.maxFailurePercent ? s.maxFailurePercent + '%' : null].filter(x => x).join(', ') || 'default', src('maxFailures')]];
  return [el('h3', {}, 'Windows and approval rules of ', r.image),
    table('Policy of the image', ['Setting', 'Value', 'From'], rows, '', { id: 'image-rules' }),
    el('h3', {}, 'Approvals'),
    table('Approvals', ['Update', 'Approved', 'Rings', 'Why'], approvals.map(a => [a.label || a.target, a.approved ? 'yes' : 'not yet' + (a.approvableAt ? ' (from ' + a.approvableAt.slice(0, 16).replace('T', ' ') + ' UTC)' : ''),
      (a.rings || []).map(x => (x.ring || 'all machines') + (x.approved ? ' ✓ (' + x.how + ')' : ' …')).join(', '), a.reason || '']), 'Nothing waiting for approval.')];
}
