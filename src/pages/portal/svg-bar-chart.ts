import { html, raw, type RawHtml } from '../layout.js';

/**
 * Bar charts drawn as SVG on the server: no script, no library, nothing from a CDN, and
 * nothing the CSP refuses (SVG presentation attributes such as `fill`, never `style`). Each
 * chart is one image to assistive technology (`role="img"`), named by its title and
 * described by a sentence saying what it shows; the page shows the same figures in a table
 * too. A bar's own `<title>` is a tooltip for the mouse.
 *
 * A chart is drawn twice, for a wide screen and for a phone (its own proportions, so its
 * text stays readable when it is scaled to the screen): the stylesheet shows one of them
 * (`.chart-wide`, `.chart-narrow`), and the other is `display:none`, out of the
 * accessibility tree as well.
 */

/** Bars: 5.2:1 against white (WCAG 1.4.11 asks 3:1 of graphics); the last (today) darker. Text 9:1. */
const BAR = '#2563eb';
const BAR_LAST = '#1e3a8a';
const GRID = '#d8dee8';
const TEXT = '#3d4655';
const FONT = 12;

interface Layout {
  /** The suffix of the ids, so that both drawings have their own. */
  suffix: string;
  className: string;
  width: number;
}

const LAYOUTS: readonly Layout[] = [
  { suffix: '', className: 'chart chart-wide', width: 640 },
  { suffix: '-narrow', className: 'chart chart-narrow', width: 340 },
];

/** An axis step of 1, 2 or 5 × 10^k (a whole number) so that `ticks` steps reach `max`, and the top it reaches. */
export function niceScale(max: number, ticks: number): { step: number; top: number } {
  const need = Math.max(1, Math.ceil(max / ticks));
  let magnitude = 1;
  while (magnitude * 10 <= need) magnitude *= 10;
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= need) as number;
  return { step, top: step * ticks };
}

export interface Column {
  /** The value, ≥ 0 (minor units). */
  value: number;
  /** The bar's tooltip. */
  tooltip: string;
  /** A label under the bar, or undefined for none. */
  label?: string;
}

/** Vertical bars (one per day), with a y axis of `ticks` steps labelled by `formatTick`. */
export function renderColumnChart(o: { id: string; title: string; summary: string; columns: readonly Column[]; formatTick: (value: number) => string; ticks?: number }): RawHtml {
  const ticks = o.ticks ?? 4;
  const { step, top: scaleTop } = niceScale(Math.max(0, ...o.columns.map((c) => c.value)), ticks);
  const tickLabels = Array.from({ length: ticks + 1 }, (_, i) => o.formatTick(i * step));
  // Room for the longest tick label (digits are about 0.6 em wide).
  const left = Math.ceil(Math.max(...tickLabels.map((l) => l.length)) * FONT * 0.62) + 12;
  return html`${LAYOUTS.map((layout) => {
    const height = layout.width === 640 ? 240 : 200;
    const right = 8;
    const top = 12;
    const bottom = 28;
    const plotWidth = layout.width - left - right;
    const plotHeight = height - top - bottom;
    const y = (v: number) => top + plotHeight - (v / scaleTop) * plotHeight;
    const slot = plotWidth / Math.max(1, o.columns.length);
    const barWidth = Math.max(1, slot * 0.7);
    const grid = tickLabels.map((label, i) => {
      const at = round(y(i * step));
      return html`<line x1="${left}" x2="${layout.width - right}" y1="${at}" y2="${at}" stroke="${GRID}" stroke-width="1"/><text x="${left - 6}" y="${at + 4}" text-anchor="end" font-size="${FONT}" fill="${TEXT}">${label}</text>`;
    });
    const bars = o.columns.map((c, i) => {
      const x = round(left + i * slot + (slot - barWidth) / 2);
      const barTop = round(y(c.value));
      const h = round(top + plotHeight - barTop);
      const bar =
        c.value > 0
          ? html`<rect x="${x}" y="${barTop}" width="${round(barWidth)}" height="${Math.max(1, h)}" fill="${i === o.columns.length - 1 ? BAR_LAST : BAR}" data-value="${c.value}"><title>${c.tooltip}</title></rect>`
          : raw('');
      // Centred under its bar, but kept inside the drawing.
      const labelX = c.label === undefined ? 0 : Math.min(x + barWidth / 2, layout.width - 2 - (c.label.length * FONT * 0.62) / 2);
      const label = c.label === undefined ? raw('') : html`<text x="${round(labelX)}" y="${height - 8}" text-anchor="middle" font-size="${FONT}" fill="${TEXT}">${c.label}</text>`;
      return html`${bar}${label}`;
    });
    return chartSvg(layout, o.id, o.title, o.summary, height, html`${grid}${bars}`);
  })}`;
}

export interface BarRow {
  label: string;
  /** The value, ≥ 0 (minor units). */
  value: number;
  /** Written after the bar. */
  valueText: string;
}

/** Horizontal bars, one row each, in the order given; on a phone the label goes above its bar. */
export function renderBarList(o: { id: string; title: string; summary: string; rows: readonly BarRow[] }): RawHtml {
  const max = Math.max(1, ...o.rows.map((r) => r.value));
  return html`${LAYOUTS.map((layout) => {
    const wide = layout.width === 640;
    const rowHeight = wide ? 34 : 46;
    const labelWidth = wide ? 150 : 0;
    const valueWidth = wide ? 200 : 150;
    const height = Math.max(1, o.rows.length) * rowHeight + 8;
    const rows = o.rows.map((r, i) => {
      const barMid = wide ? 4 + i * rowHeight + rowHeight / 2 : 4 + i * rowHeight + 30;
      const length = round(((layout.width - labelWidth - valueWidth) * r.value) / max);
      const label = wide
        ? html`<text x="${labelWidth - 10}" y="${barMid + 5}" text-anchor="end" font-size="${FONT + 1}" fill="${TEXT}">${r.label}</text>`
        : html`<text x="0" y="${barMid - 12}" font-size="${FONT + 1}" fill="${TEXT}">${r.label}</text>`;
      const bar = r.value > 0 ? html`<rect x="${labelWidth}" y="${barMid - 8}" width="${Math.max(1, length)}" height="16" fill="${BAR}" data-value="${r.value}"><title>${r.valueText}</title></rect>` : raw('');
      return html`${label}${bar}<text x="${labelWidth + length + 6}" y="${barMid + 4}" font-size="${FONT}" fill="${TEXT}">${r.valueText}</text>`;
    });
    return chartSvg(layout, o.id, o.title, o.summary, height, html`${rows}`);
  })}`;
}

function chartSvg(layout: Layout, id: string, title: string, summary: string, height: number, content: RawHtml): RawHtml {
  const ref = `${id}${layout.suffix}`;
  return html`<svg class="${layout.className}" role="img" aria-labelledby="${ref}-title ${ref}-desc" viewBox="0 0 ${layout.width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" data-test="${ref}"><title id="${ref}-title">${title}</title><desc id="${ref}-desc">${summary}</desc>${content}</svg>`;
}

const round = (n: number) => Math.round(n * 10) / 10;
