import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { pageStyle } from './layout.js';

type BrandSettings = Pick<Config, 'brandName' | 'brandColor' | 'brandLogo'>;

/** How the pages present the operator (BRAND_NAME, BRAND_COLOR, BRAND_LOGO_FILE). */
export interface Theme {
  readonly brandName: string;
  /** `/brand/logo?v=…` (the version busts caches when the file changes); undefined: no logo. */
  readonly logoHref: string | undefined;
  /** The logo's ETag value (a digest of its bytes). */
  readonly logoTag: string | undefined;
  /** The pages' one inline stylesheet, with the operator's colours in it. */
  readonly style: string;
  /** The CSP source that allows that stylesheet (its SHA-256). */
  readonly styleSource: string;
}

/** The colours the stylesheet uses, derived from BRAND_COLOR so every text stays readable. */
export interface Palette {
  /** BRAND_COLOR as given: borders and the primary button's background. */
  readonly accent: string;
  /** Text on that background: white or black, whichever contrasts more (at least 4.58:1 for any colour). */
  readonly onAccent: string;
  /** Links and the brand name on white: BRAND_COLOR, darkened until it contrasts 4.5:1 with white (WCAG AA). */
  readonly accentText: string;
}

const themes = new WeakMap<BrandSettings, Theme>();

/**
 * The theme of a configuration, computed once: the stylesheet and its hash are what the
 * Content-Security-Policy of every page allows (security-headers.ts asks `pageStyleSource`).
 */
export function themeFor(config: BrandSettings): Theme {
  let theme = themes.get(config);
  if (!theme) {
    const style = pageStyle(paletteFor(config.brandColor));
    const logoTag = config.brandLogo ? createHash('sha256').update(config.brandLogo.bytes).digest('hex').slice(0, 16) : undefined;
    theme = Object.freeze({
      brandName: config.brandName,
      logoHref: logoTag ? `/brand/logo?v=${logoTag}` : undefined,
      logoTag,
      style,
      styleSource: `'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`,
    });
    themes.set(config, theme);
  }
  return theme;
}

/** The CSP `style-src` source of the pages of this configuration. */
export function pageStyleSource(config: BrandSettings): string {
  return themeFor(config).styleSource;
}

export function paletteFor(color: string): Palette {
  const rgb = parseHex(color);
  const onAccent = contrast(rgb, WHITE) >= contrast(rgb, BLACK) ? '#ffffff' : '#000000';
  // Mix toward black in 5% steps: at 100% the contrast is 21:1, so this always ends.
  let text = rgb;
  for (let step = 1; contrast(text, WHITE) < 4.5; step++) text = rgb.map((c) => Math.round((c * (20 - step)) / 20)) as Rgb;
  return { accent: toHex(rgb), onAccent, accentText: toHex(text) };
}

type Rgb = [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

function parseHex(color: string): Rgb {
  const hex = color.replace(/^#/, '');
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

/** WCAG 2 relative luminance. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio, 1 to 21. */
export function contrast(a: Rgb | string, b: Rgb | string): number {
  const la = luminance(typeof a === 'string' ? parseHex(a) : a);
  const lb = luminance(typeof b === 'string' ? parseHex(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
