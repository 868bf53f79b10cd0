// Machine → Updates: the seed's Updates view of one machine (status, counts, last assessed, missing
// updates, history) plus the installed updates with proof of liveness (the SHA-256 of the bytes
// each loaded copy of a patched class runs), Uninstall (live), Roll back to the last known good
// baseline (restart), the operations in progress, and the rollouts the machine has been in, all
// refreshed every two seconds without a reload. Actions are disabled, with the reason shown, on a
// machine that is not running.
import { api, cell, confirmAction, el, every, notice, query, showError, table, update, utcText, when } from './lib.js';

const TABS = [['missing', 'Missing updates'], ['installed', 'Installed updates'], ['history', 'Update history'], ['rollouts', 'Rollouts']];

export async function render(root, p, ctx) {
  if (!p.machine) return chooser(root);
  const ref = encodeURIComponent(p.machine);
  let tab = TABS.some(t => t[0] === p.tab) ? p.tab : 'missing';
  const canAct = ['operator', 'admin'].includes(ctx.whoami.role);
  let latest = null;

  const head = el('div');
  const counts = el('div');
  const operations = el('section', { 'aria-label': 'Operations' });
  const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Updates' });
  const panel = el('div', { role: 'tabpanel', id: 'tab-panel' });
  const dialog = installDialog((body) => act('install', body));
  root.append(el('section', { id: 'detail' }, head, counts, operations, tabs, panel));

  const drawTabs = () => tabs.replaceChildren(...TABS.map(([k, label]) => el('button', {
    type: 'button', role: 'tab', 'aria-selected': String(k === tab), 'aria-controls': 'tab-panel', id: 'tab-' + k,
    onclick: () => { tab = k; ctx.remember(Object.assign({}, p, { tab: k })); drawTabs(); panel.dataset.key = ''; shown(); },
    onkeydown: (ev) => {
      const i = TABS.findIndex(t => t[0] === k);
      const next = ev.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : ev.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : null;
      if (next) { ev.preventDefault(); tab = next[0]; ctx.remember(Object.assign({}, p, { tab: tab })); drawTabs(); panel.dataset.key = ''; shown(); tabs.querySelector('#tab-' + tab).focus(); }
    } }, label)));
  drawTabs();

  // A tab just chosen: drawn from what is at hand, and the rollouts (fetched only while their tab is shown) at once.
  function shown() {
    if (latest) draw(latest);
    if (tab === 'rollouts') refresh().catch(showError);
  }

  async function act(what, body, label) {
    try {
      const op = await api('POST', '/api/v1/machines/' + ref + '/' + what, body);
      notice('Operation ' + op.id + ' (' + op.type + ') ' + op.state + (op.items && op.items.length ? ': ' + op.items.map(i => i.kbId).join(', ') : '')
        + (op.message ? ' — ' + op.message : ''));
      await refresh();
    } catch (e) { showError(e); }
  }

  function draw(d) {
    const { m, a, hotfixes, ops, history, rollouts } = d;
    const off = !m.present ? m.name + ' is not running: its node (' + m.node + ') did not report it at its last check-in (last seen '
      + utcText(m.lastSeenAt) + '). Actions need a running JVM; start it or check its node.' : null;
    const noInstall = off || (['NotSupported', 'Disabled'].includes(a.status) ? 'Install is not available: hotpatch status is ' + a.status + (a.statusReason ? ' (' + a.statusReason + ')' : '') + '.' : null)
      || (!canAct ? 'Your token\'s role (' + ctx.whoami.role + ') may read but not act.' : null);
    const reason = off || (!canAct ? 'Your token\'s role (' + ctx.whoami.role + ') may read but not act.' : null);
    update(head, { m, a, reason, noInstall }, () => [
      el('h2', {}, 'Updates — ', m.name),
      el('div', { class: 'actions' },
        el('button', { type: 'button', disabled: !!reason, 'aria-describedby': reason ? 'action-reason' : null, onclick: () => act('assess') }, 'Assess now'),
        el('button', { type: 'button', disabled: !!noInstall, 'aria-describedby': noInstall ? 'action-reason' : null, onclick: () => dialog.showModal() }, 'Install updates now'),
        el('button', { type: 'button', class: 'secondary', disabled: !!reason, 'aria-describedby': reason ? 'action-reason' : null,
          onclick: async () => {
            if (await confirmAction('Roll back to the last known good baseline',
              'Roll ' + m.name + ' back to the last baseline it ran well on? Its jars are swapped and the JVM restarts; hotpatches of the current baseline are gone until installed again.',
              'Roll back and restart')) act('rollback-baseline', {});
          } }, 'Roll back to last known good baseline')),
      (reason || noInstall) ? el('p', { id: 'action-reason', class: 'reason' }, reason || noInstall) : null,
      el('p', {}, 'Hotpatch status: ', el('span', { class: 'status ' + a.status, id: 'hotpatch-status' }, a.status),
        a.statusReason ? el('span', { class: 'muted' }, ' — ' + a.statusReason) : ''),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Baseline'), el('dd', { id: 'baseline' }, m.image ? m.image + ' ' + (m.baselineVersion || '(no baseline matched)') : 'No image matched' + (m.matchDetail ? ': ' + m.matchDetail : '')),
        el('dt', {}, 'Runs on'), el('dd', {}, 'node ' + m.node + ', JVM ' + ((m.jvm && m.jvm.version) || '?') + ', pid ' + (m.pid || '?')
          + ', ' + (m.present ? 'running' : 'not running')),
        el('dt', {}, 'Placement'), el('dd', {}, [m.config.region, m.config.zone].filter(x => x).join(' / ') || '—',
          ', time zone ', m.config.timeZone || '—')),
    ]);
    update(counts, { missing: a.missing, at: a.lastAssessedAt }, () => [
      el('div', { class: 'counts' },
        el('div', {}, el('b', {}, a.missing.total), 'Total missing updates'),
        el('div', {}, el('b', {}, a.missing.critical), 'Missing critical updates'),
        el('div', {}, el('b', {}, a.missing.security), 'Missing security updates'),
        el('div', {}, el('b', {}, a.missing.other), 'Other missing updates')),
      el('p', { id: 'last-assessed' }, 'Last assessed: ', when(a.lastAssessedAt))]);
    update(operations, ops, () => operationsView(ops));
    update(panel, { tab, a: tab === 'missing' ? a.updates : null, h: tab === 'history' ? history : null, r: tab === 'rollouts' ? rollouts : null,
      i: tab === 'installed' ? [hotfixes, m.hotpatches, reason] : null }, () =>
      tab === 'missing' ? missingTable(a.updates) : tab === 'history' ? historyTable(history) : tab === 'rollouts' ? rolloutsTable(rollouts)
        : installedTable(hotfixes, m, reason, (kb) => act('uninstall', { kbId: kb })));
  }

  async function refresh() {
    const [m, a, hotfixes, ops, history, rollouts] = await Promise.all([
      api('GET', '/api/v1/machines/' + ref),
      api('GET', '/api/v1/machines/' + ref + '/assessment'),
      api('GET', '/api/v1/machines/' + ref + '/hotfixes'),
      api('GET', '/api/v1/operations' + query({ machine: p.machine, limit: 5 })),
      api('GET', '/api/v1/machines/' + ref + '/history?days=30'),
      // Only while its tab is shown: one request fewer every two seconds otherwise.
      tab === 'rollouts' ? api('GET', '/api/v1/machines/' + ref + '/rollouts?limit=50') : Promise.resolve(null)]);
    latest = { m, a, hotfixes, ops, history, rollouts };
    draw(latest);
  }

  await refresh();
  const stop = every(2000, refresh);
  return () => { stop(); dialog.remove(); };
}

async function chooser(root) {
  const page = await api('GET', '/api/v1/fleet/machines?limit=50');
  root.append(el('h2', {}, 'Machine'), el('p', {}, 'Pick a machine (or find one in the ', el('a', { href: '/?page=fleet' }, 'fleet overview'), ').'),
    el('ul', {}, page.items.map(m => el('li', {}, el('a', { href: '/?' + new URLSearchParams({ page: 'machine', machine: m.name }) }, m.name),
      ' ', el('span', { class: 'status ' + m.status }, m.status)))));
}

function progress(op) {
  const cmds = op.commands || [];
  const step = (c) => c.completedAt ? (c.resultStatus || c.state) : c.deliveredAt ? 'delivered — ' + (c.type.startsWith('uninstall') ? 'uninstalling' : c.type === 'assess' ? 'assessing' : c.type === 'restart' ? 'restarting' : 'installing') : 'queued — waiting for the node';
  return cmds.map(c => el('li', { 'data-command': c.type, 'data-step': step(c) }, c.type.replace(/_/g, ' '), ': ', el('span', { class: 'status ' + (c.resultStatus || '') }, step(c)),
    c.resultMessage ? el('span', { class: 'muted' }, ' — ' + c.resultMessage) : null));
}

function operationsView(ops) {
  const running = ops.filter(o => o.state === 'queued' || o.state === 'in_progress');
  const recent = ops.slice(0, 5);
  return [el('h3', {}, 'Operations', running.length ? ' (' + running.length + ' in progress)' : ''),
    recent.length === 0 ? el('p', { class: 'muted' }, 'No operations yet.') : el('ul', { id: 'operations' }, recent.map(o => {
      const items = o.items || [];
      const settled = items.filter(i => i.state !== 'pending').length;
      const cmds = o.commands || [];
      const done = items.length ? settled : cmds.filter(c => c.completedAt).length;
      const of = items.length || cmds.length || 1;
      return el('li', { 'data-operation': o.id, 'data-state': o.state },
        el('b', {}, o.type), ' ', el('span', { class: 'status ' + o.state }, o.state.replace(/_/g, ' ')), ' ',
        el('progress', { max: of, value: o.state === 'queued' || o.state === 'in_progress' ? done : of, 'aria-label': o.type + ' progress' }), ' ',
        el('span', { class: 'muted' }, 'by ' + o.createdBy + ', ' + utcText(o.createdAt)),
        items.length ? el('div', { class: 'muted' }, items.map(i => i.kbId + ': ' + i.state.replace(/_/g, ' ') + (i.reason ? ' (' + i.reason + ')' : '')).join('; ')) : null,
        o.message ? el('div', { class: 'muted' }, o.message) : null,
        el('ul', {}, progress(o)));
    }))];
}

function missingTable(updates) {
  return table('Missing updates', ['Update name', 'Classifications', 'KB ID', 'Reboot behavior', 'Published date'],
    updates.map(u => [u.updateName, u.classification, u.kbId, u.rebootBehavior, when(u.publishedDate)]), 'No missing updates.', { id: 'missing-updates' });
}

function historyTable(rows) {
  return table('Update history', ['When', 'Action', 'KB', 'Outcome', 'Who', 'Details'],
    rows.map(h => ({ attrs: { 'data-action': h.action, 'data-outcome': h.outcome, 'data-kb': h.kbId || '' },
      cells: [when(h.at), h.action, h.kbId, cell(h.outcome, { class: h.outcome }), h.actor, h.details] })), 'Nothing in the last 30 days.', { id: 'history' });
}

function rolloutsTable(rows) {
  if (!rows) return el('p', { class: 'muted', id: 'machine-rollouts-loading' }, 'Loading the rollouts…');
  return table('Rollouts', ['Rollout', 'Update', 'Wave', 'This machine', 'Reason', 'Rollout state', 'Created', 'Done'],
    rows.map(r => ({ attrs: { 'data-rollout': r.rolloutId, 'data-state': r.state },
      cells: [el('a', { href: '/?' + new URLSearchParams({ page: 'rollouts', rollout: r.rolloutId }) }, r.rolloutId),
        r.target + (r.kind ? ' (' + r.kind + ')' : ''), r.wave, cell(r.state.replace(/_/g, ' '), { class: 'status ' + r.state }),
        r.reason || '', r.rolloutState, when(r.createdAt), r.completedAt ? when(r.completedAt) : ''] })),
    'This machine has not been in a rollout.', { id: 'machine-rollouts' });
}

function installedTable(hotfixes, m, reason, uninstall) {
  const live = Object.fromEntries((m.hotpatches || []).map(h => [h.id, h]));
  const rows = hotfixes.map(h => {
    const hp = live[h.hotFixId];
    const copies = hp && hp.classes ? hp.classes : [];
    const seen = {};
    const proof = copies.length === 0 ? el('span', { class: 'muted' }, h.kind === 'restart' ? 'restart update (in the jars, no live classes)' : 'no class of it loaded yet')
      : el('ul', { class: 'hash' }, copies.map(c => {
        seen[c.name] = (seen[c.name] || 0) + 1;
        return el('li', {}, c.name.replace(/\//g, '.') + ' (loader ' + seen[c.name] + '): ', el('span', { title: c.sha256 }, c.sha256.slice(0, 16) + '…'));
      }));
    const verdict = h.verified === true ? el('span', { class: 'succeeded' }, '✓ bytes in use are the package\'s')
      : h.verified === false ? el('span', { class: 'failed' }, '✗ ' + (h.note || 'bytes differ')) : el('span', { class: 'muted' }, h.note || 'not checkable');
    const fixup = hp && hp.fixup ? el('div', { class: 'muted fixup', 'data-fixup': hp.fixup.state || '' },
      'Fix-up ' + hp.fixup.className + ': ' + (hp.fixup.detail || hp.fixup.state || 'no word from the agent')) : null;
    return { attrs: { 'data-kb': h.hotFixId }, cells: [h.hotFixId, h.description, h.kind + (hp && hp.state && hp.state !== 'active' ? ' (' + hp.state + ')' : ''),
      when(h.installedOn), el('div', {}, verdict, proof, fixup),
      h.kind === 'hotpatch' ? el('button', { type: 'button', class: 'danger', disabled: !!reason, title: reason || null,
        onclick: async () => { if (await confirmAction('Uninstall ' + h.hotFixId, 'Uninstall ' + h.hotFixId + ' live from ' + m.name + '? The JVM goes back to the classes it ran before, without a restart.', 'Uninstall')) uninstall(h.hotFixId); } },
      'Uninstall') : ''] };
  });
  return table('Installed updates', ['KB ID', 'Description', 'Kind', 'Installed on', 'Liveness (SHA-256 of the bytes in use)', ''], rows,
    'Nothing installed on this machine.', { id: 'installed' });
}

function installDialog(submit) {
  const f = el('form', { method: 'dialog', id: 'install-form' },
    el('h3', { id: 'install-title' }, 'Install updates now'),
    el('fieldset', {}, el('legend', {}, 'Classifications'),
      ['Critical', 'Security', 'Updates', 'Definition'].map(c => el('label', {}, el('input', { type: 'checkbox', name: 'cls', value: c, checked: c === 'Critical' || c === 'Security' }), ' ' + c))),
    el('label', {}, 'Include KB ids (comma-separated) ', el('input', { name: 'include' })),
    el('label', {}, 'Exclude KB ids (comma-separated) ', el('input', { name: 'exclude' })),
    el('label', {}, 'Reboot setting ', el('select', { name: 'reboot' }, ['IfRequired', 'Never', 'Always'].map(r => el('option', {}, r)))),
    el('label', {}, 'Maximum duration (minutes) ', el('input', { name: 'duration', type: 'number', value: '120', min: '1', max: '1440' })),
    el('div', { class: 'actions' }, el('button', { value: 'ok' }, 'Install'), el('button', { value: 'cancel', class: 'secondary', formnovalidate: true }, 'Cancel')));
  const d = el('dialog', { id: 'install-dialog', 'aria-labelledby': 'install-title' }, f);
  f.addEventListener('submit', (ev) => {
    if (!ev.submitter || ev.submitter.value !== 'ok') return;
    const list = (s) => s.split(',').map(x => x.trim()).filter(x => x);
    submit({ classifications: [...f.querySelectorAll('input[name=cls]:checked')].map(c => c.value),
      includeKbs: list(f.include.value), excludeKbs: list(f.exclude.value),
      reboot: f.reboot.value, maxDurationMinutes: parseInt(f.duration.value, 10) });
  });
  document.body.append(d);
  return d;
}
