import { html, raw, type RawHtml } from '../layout.js';

/**
 * Bar charts drawn as SVG on the server: no script, no library, nothing from a CDN, and
 * nothing the CSP refuses (SVG presentation attributes such as `fill`, never `style`). Each
 * chart is one image to assistive technology (`role="img"`), named by its title and
 * described by a sentence saying what it shows; the page shows the same figures in a table
 * too. A bar's own `<title>` is a tooltip for the mouse.
 */

/** Bars: 5.2:1 against white (WCAG 1.4.11 asks 3:1 of graphics); the last (today) darker. Text 9:1. */
const BAR = '#2563eb';
const BAR_LAST = '#1e3a8a';
const GRID = '#d8dee8';
const TEXT = '#3d4655';

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
  const width = 640;
  const height = 240;
  const left = 92;
  const right = 8;
  const top = 12;
  const bottom = 30;
  const ticks = o.ticks ?? 4;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const { step, top: scaleTop } = niceScale(Math.max(0, ...o.columns.map((c) => c.value)), ticks);
  const y = (v: number) => top + plotHeight - (v / scaleTop) * plotHeight;
  const slot = plotWidth / Math.max(1, o.columns.length);
  const barWidth = Math.max(1, slot * 0.7);
  const grid = Array.from({ length: ticks + 1 }, (_, i) => {
    const v = i * step;
    const at = round(y(v));
    return html`<line x1="${left}" x2="${width - right}" y1="${at}" y2="${at}" stroke="${GRID}" stroke-width="1"/><text x="${left - 8}" y="${at + 4}" text-anchor="end" font-size="12" fill="${TEXT}">${o.formatTick(v)}</text>`;
  });
  const bars = o.columns.map((c, i) => {
    const x = round(left + i * slot + (slot - barWidth) / 2);
    const barTop = round(y(c.value));
    const h = round(top + plotHeight - barTop);
    const bar =
      c.value > 0
        ? html`<rect x="${x}" y="${barTop}" width="${round(barWidth)}" height="${Math.max(1, h)}" fill="${i === o.columns.length - 1 ? BAR_LAST : BAR}" data-value="${c.value}"><title>${c.tooltip}</title></rect>`
        : raw('');
    const label = c.label === undefined ? raw('') : html`<text x="${round(x + barWidth / 2)}" y="${height - 10}" text-anchor="middle" font-size="12" fill="${TEXT}">${c.label}</text>`;
    return html`${bar}${label}`;
  });
  return chartSvg(o.id, o.title, o.summary, width, height, html`${grid}${bars}`);
}

export interface BarRow {
  label: string;
  /** The value, ≥ 0 (minor units). */
  value: number;
  /** Written after the bar. */
  valueText: string;
}

/** Horizontal bars, one row each, longest value first as given. */
export function renderBarList(o: { id: string; title: string; summary: string; rows: readonly BarRow[] }): RawHtml {
  const width = 640;
  const rowHeight = 34;
  const labelWidth = 150;
  const valueWidth = 200;
  const height = Math.max(1, o.rows.length) * rowHeight + 8;
  const max = Math.max(1, ...o.rows.map((r) => r.value));
  const rows = o.rows.map((r, i) => {
    const mid = 4 + i * rowHeight + rowHeight / 2;
    const length = round(((width - labelWidth - valueWidth) * r.value) / max);
    return html`<text x="${labelWidth - 10}" y="${mid + 5}" text-anchor="end" font-size="14" fill="${TEXT}">${r.label}</text>${
      r.value > 0 ? html`<rect x="${labelWidth}" y="${mid - 10}" width="${Math.max(1, length)}" height="20" fill="${BAR}" data-value="${r.value}"><title>${r.valueText}</title></rect>` : raw('')
    }<text x="${labelWidth + length + 8}" y="${mid + 5}" font-size="13" fill="${TEXT}">${r.valueText}</text>`;
  });
  return chartSvg(o.id, o.title, o.summary, width, height, html`${rows}`);
}

function chartSvg(id: string, title: string, summary: string, width: number, height: number, content: RawHtml): RawHtml {
  return html`<svg class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" data-test="${id}"><title id="${id}-title">${title}</title><desc id="${id}-desc">${summary}</desc>${content}</svg>`;
}

const round = (n: number) => Math.round(n * 10) / 10;
