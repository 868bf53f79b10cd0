// Small SVG charts drawn here rather than by a library: horizontal bars with their numbers, a
// stacked bar, and a step line over time. Each chart is an <svg role="img"> with a text
// alternative, and its numbers are also printed as text (legend or labels), never only as shapes.
import { el } from './lib.js';

export const COLORS = {
  Enabled: '#1a7f37', ActionRequired: '#bc4c00', PendingEvaluation: '#9a6700', Disabled: '#6e7781', NotSupported: '#cf222e',
  critical: '#cf222e', security: '#bc4c00', other: '#0969da', none: '#1a7f37',
  memory: '#1a7f37', disk: '#0969da', exposed: '#cf222e',
};
const PALETTE = ['#0969da', '#8250df', '#1a7f37', '#bc4c00', '#cf222e', '#6e7781', '#9a6700', '#0550ae'];

function svg(tag, attrs, ...children) { return el('svg:' + tag, attrs, ...children); }

/**
 * Horizontal bars: items [{key, label, value, href?, color?}]. Each bar's row is a link when it has
 * an href (a filter of the list below). Returns a figure whose rows carry data-key and data-count.
 */
export function bars(title, items) {
  const max = Math.max(1, ...items.map(i => i.value));
  const rowH = 24, labelW = 130, barW = 170, numW = 40;
  const width = labelW + barW + numW;
  const chart = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + Math.max(rowH, items.length * rowH), role: 'img',
    'aria-label': title + ': ' + items.map(i => i.label + ' ' + i.value).join(', ') });
  items.forEach((it, n) => {
    const y = n * rowH;
    const w = Math.round(barW * it.value / max);
    const g = svg('g', { 'data-key': it.key, 'data-count': it.value },
      svg('text', { x: 0, y: y + 17 }, it.label),
      svg('rect', { x: labelW, y: y + 5, width: Math.max(w, it.value > 0 ? 2 : 0), height: rowH - 10, rx: 2, fill: it.color || PALETTE[n % PALETTE.length] }),
      svg('text', { x: labelW + w + 6, y: y + 17 }, String(it.value)));
    chart.append(it.href ? svg('a', { href: it.href, 'aria-label': it.label + ': ' + it.value }, g) : g);
  });
  return el('figure', { class: 'bars', 'data-chart': title }, el('figcaption', {}, el('h3', {}, title)), chart);
}

/** One stacked bar of parts [{key, label, value, color}], with a legend giving each number. */
export function stacked(title, parts) {
  const total = parts.reduce((s, p) => s + p.value, 0);
  const width = 400;
  const chart = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' 18', role: 'img', 'aria-label': title + ': ' + parts.map(p => p.label + ' ' + p.value).join(', ') });
  let x = 0;
  for (const p of parts) {
    const w = total === 0 ? 0 : width * p.value / total;
    chart.append(svg('rect', { x, y: 0, width: w, height: 18, fill: p.color }));
    x += w;
  }
  if (total === 0) chart.append(svg('rect', { x: 0, y: 0, width, height: 18, fill: '#eaeef2' }));
  return el('div', { class: 'stacked' }, chart,
    el('ul', { class: 'legend' }, parts.map(p => el('li', { 'data-key': p.key, 'data-count': p.value },
      el('span', { class: 'swatch', 'aria-hidden': 'true', 'data-color': p.color }), p.label + ': ' + p.value))));
}

/** Paints the legend swatches (style attributes are not allowed by the page's content security policy; CSSOM is). */
export function paint(root) {
  for (const s of root.querySelectorAll('.swatch[data-color]')) s.style.background = s.dataset.color;
}

/**
 * A step line of counts over time: points [{t: ms, v}] in time order, drawn from the first to
 * {@code end}; the y axis is labelled with its maximum, the x axis with its first and last day.
 */
export function steps(title, points, end, yLabel) {
  const width = 640, height = 200, left = 44, bottom = 24, top = 10, right = 10;
  const t0 = points.length ? points[0].t : end - 86400000;
  const t1 = Math.max(end, t0 + 1);
  const vmax = Math.max(1, ...points.map(p => p.v));
  const x = (t) => left + (width - left - right) * (t - t0) / (t1 - t0);
  const y = (v) => top + (height - top - bottom) * (1 - v / vmax);
  let d = '';
  points.forEach((p, i) => {
    d += (i === 0 ? 'M' + x(p.t) + ',' + y(p.v) : ' H' + x(p.t) + ' V' + y(p.v));
  });
  if (points.length) d += ' H' + x(t1);
  const day = (t) => new Date(t).toISOString().slice(0, 10);
  const last = points.length ? points[points.length - 1].v : 0;
  const chart = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, role: 'img',
    'aria-label': title + ': from ' + day(t0) + ' to ' + day(t1) + ', at most ' + vmax + ' ' + yLabel + ', now ' + last },
    svg('line', { x1: left, y1: top, x2: left, y2: height - bottom, stroke: '#8c959f' }),
    svg('line', { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, stroke: '#8c959f' }),
    svg('text', { x: 4, y: top + 10 }, String(vmax)),
    svg('text', { x: 4, y: height - bottom }, '0'),
    svg('text', { x: left, y: height - 6 }, day(t0) + ' UTC'),
    svg('text', { x: width - right - 110, y: height - 6 }, day(t1) + ' UTC'),
    svg('path', { d, fill: 'none', stroke: '#cf222e', 'stroke-width': 2 }));
  return el('figure', { class: 'steps', 'data-chart': title }, el('figcaption', {}, el('h3', {}, title)), chart,
    el('p', { class: 'muted' }, yLabel + ' over time (y axis), from publication to now (x axis, UTC); now: ' + last + '.'));
}
