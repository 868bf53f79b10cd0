// Catalog and release calendar: an image's year drawn like the seed's diagram (planned baselines
// every cadence months, hotpatch months between, unplanned baselines taking a hotpatch month's
// place) with each month's baselines and updates, the image's baselines and updates, and, for
// publishers, forms that upload a signed baseline or hotpatch.
import { api, el, notice, showError, table, when } from './lib.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LABEL = { 'planned-baseline': 'Planned baseline', 'unplanned-baseline': 'Unplanned baseline', hotpatch: 'Hotpatch', none: 'Nothing released' };

export async function render(root, p, ctx) {
  const images = await api('GET', '/api/v1/images');
  root.append(el('h2', {}, 'Catalog and release calendar'));
  if (images.length === 0) {
    root.append(el('p', { class: 'muted' }, 'No images yet: a publisher adds one with POST /api/v1/images (hotpatch image add).'));
    return;
  }
  const name = (i) => i.publisher + '/' + i.offer + '/' + i.sku;
  const image = images.find(i => i.id === p.image || name(i) === p.image) || images[0];
  const year = parseInt(p.year || '', 10) || new Date().getUTCFullYear();
  const ref = encodeURIComponent(image.id);
  const [schedule, baselines, updates] = await Promise.all([
    api('GET', '/api/v1/images/' + ref + '/schedule?year=' + year),
    api('GET', '/api/v1/images/' + ref + '/baselines'),
    api('GET', '/api/v1/updates?image=' + ref)]);
  const pick = (extra) => ctx.go(Object.assign({ page: 'calendar', image: name(image), year }, extra));

  root.append(el('section', { class: 'filters', 'aria-label': 'Image and year' },
    el('label', {}, 'Image', el('select', { onchange: (ev) => pick({ image: ev.target.value }) },
      images.map(i => el('option', { value: name(i), selected: i.id === image.id }, name(i))))),
    el('label', {}, 'Year', el('select', { onchange: (ev) => pick({ year: ev.target.value }) },
      [year - 2, year - 1, year, year + 1].map(y => el('option', { value: y, selected: y === year }, y)))),
    el('span', { class: 'muted' }, 'Planned baselines every ' + schedule.cadenceMonths + ' months (' + schedule.baselineMonths + '); hotpatch months between.')));

  const months = schedule.months.map((m, i) => el('div', {
    class: 'month plan-' + m.planned + ' act-' + m.actual, 'data-month': m.month, 'data-actual': m.actual, 'data-planned': m.planned,
    role: 'listitem', 'aria-label': MONTHS[i] + ' ' + year + ': planned ' + LABEL[m.planned] + ', released ' + LABEL[m.actual] },
  el('h4', {}, MONTHS[i]),
  el('div', { class: 'muted' }, 'Plan: ' + (m.planned === 'planned-baseline' ? 'baseline' : 'hotpatch')),
  el('div', { class: 'actual' }, LABEL[m.actual]),
  m.releases.length ? el('ul', {}, m.releases.map(r => el('li', { 'data-kind': r.kind }, r.label + ' (' + r.date + ')' + (r.override ? ' — override' : '')))) : null));
  root.append(el('section', { 'aria-label': 'Release calendar ' + year },
    el('h3', {}, name(image) + ' — ' + year),
    el('div', { class: 'calendar', role: 'list', id: 'calendar' }, months),
    el('ul', { class: 'legend' },
      el('li', {}, 'Light blue: planned baseline month'), el('li', {}, 'Grey: hotpatch month'),
      el('li', {}, 'Blue frame: planned baseline released'), el('li', {}, 'Green frame: hotpatch released'),
      el('li', {}, 'Red frame: unplanned baseline (took a hotpatch month)'))));

  root.append(el('div', { class: 'grid' },
    el('section', {}, el('h3', {}, 'Baselines'), table('Baselines', ['Version', 'Kind', 'Released', 'KB', 'Signed by'],
      baselines.slice().reverse().map(b => [b.version, b.kind, b.releasedOn, b.kbId || '', b.descriptor ? b.descriptor.signer : el('span', { class: 'reason' }, 'unsigned')]), 'No baselines.')),
    el('section', {}, el('h3', {}, 'Updates'), table('Updates', ['KB', 'Title', 'Classification', 'Baseline', 'Published'],
      updates.map(u => [u.kbId, u.title, u.classification, u.baselineVersion || u.baselineId || '', when(u.publishedAt)]), 'No updates.'))));

  if (['publisher', 'admin'].includes(ctx.whoami.role)) root.append(uploads(image, name(image), () => pick({})));
  else root.append(el('p', { class: 'muted' }, 'Publishing needs a publisher token; yours has role ' + ctx.whoami.role + '.'));
}

function uploads(image, imageName, done) {
  const send = (path) => async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const data = new FormData(form);
    for (const [k, v] of [...data.entries()]) if (v === '' || (v instanceof File && v.size === 0 && !v.name)) data.delete(k);
    try {
      const r = await api('POST', path, data);
      notice('Published ' + (r.version ? 'baseline ' + r.version : r.kbId));
      done();
    } catch (e) { showError(e); }
  };
  const field = (label, input) => el('label', {}, label, ' ', input);
  return el('div', { class: 'grid' },
    el('section', { 'aria-label': 'Publish a baseline' },
      el('h3', {}, 'Publish a baseline'),
      el('form', { id: 'publish-baseline', onsubmit: send('/api/v1/images/' + encodeURIComponent(image.id) + '/baselines') },
        field('Version', el('input', { name: 'version', required: true })),
        field('Kind', el('select', { name: 'kind' }, el('option', { value: 'planned' }, 'planned'), el('option', { value: 'unplanned' }, 'unplanned'))),
        field('Released on (UTC date)', el('input', { name: 'releasedOn', type: 'date' })),
        field('Title', el('input', { name: 'title' })),
        field('CVEs (comma-separated)', el('input', { name: 'cves' })),
        field('Jar(s)', el('input', { name: 'jar', type: 'file', multiple: true, required: true, accept: '.jar' })),
        field('Signed release descriptor', el('input', { name: 'descriptor', type: 'file', required: true })),
        el('button', { type: 'submit' }, 'Publish baseline'))),
    el('section', { 'aria-label': 'Publish a hotpatch' },
      el('h3', {}, 'Publish a hotpatch'),
      el('p', { class: 'muted' }, 'A signed .hotpatch package (hotpatch build … --key); it names its image (' + imageName + ') and baseline.'),
      el('form', { id: 'publish-hotpatch', onsubmit: send('/api/v1/updates') },
        field('Package', el('input', { name: 'package', type: 'file', required: true, accept: '.hotpatch' })),
        el('label', {}, el('input', { name: 'override', type: 'checkbox', value: 'true' }), ' Override the calendar (second release in a month)'),
        el('button', { type: 'submit' }, 'Publish hotpatch'))));
}
