// The application's state lives in the URL's query string, and only there: what the map shows
// (position, categories, search words), which initiative is open and the language. Parsing is
// forgiving: a bad value is dropped, never an error, so a mangled shared link still opens a map.
//
//   /?z=12.5&lat=45.76412&lon=4.83571&categories=repair-cafe,fablab&q=velo&i=<slug or id>&lang=en
//
// The embed page reads its own, smaller format (see `parseEmbedParams`):
//
//   /embed?categories=shared-garden&bbox=4.7,45.7,4.9,45.8&q=jardin&lang=fr

import { isLang, type Lang } from './i18n';

export interface View {
  lat: number;
  lon: number;
  zoom: number;
}

export interface AppState {
  /** Map position; null when the URL does not say (the server's default view is used). */
  view: View | null;
  /** Category slugs, sorted, without duplicates. */
  categories: string[];
  /** Search words ('' for none). */
  q: string;
  /** The open initiative (slug or id), or null. */
  selected: string | null;
  /** The chosen language, or null to follow the browser. */
  lang: Lang | null;
}

export type BBox = [west: number, south: number, east: number, north: number];

export interface EmbedParams {
  categories: string[];
  q: string;
  bbox: BBox | null;
  lang: Lang | null;
}

export const MAX_LAT = 85.0511;
export const MAX_ZOOM = 22;
export const MAX_Q = 200;
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9-]{0,199}$/;
const MAX_CATEGORIES = 50;

export const EMPTY_STATE: AppState = { view: null, categories: [], q: '', selected: null, lang: null };

/** Decimal places kept in the URL: ~1 m for coordinates, 1/100 of a zoom level. */
const LATLON_DIGITS = 5;
const ZOOM_DIGITS = 2;

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A strict decimal number ("12", "-4.5"), rejecting "", "1e3", "0x10", "Infinity". */
function parseNumber(raw: string | null): number | null {
  if (raw === null || !/^-?\d{1,3}(\.\d{1,12})?$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : null;
}

/** Normalises a longitude into [-180, 180). */
export function wrapLon(lon: number): number {
  const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
  return wrapped === -180 && lon > 0 ? 180 : wrapped;
}

export function normaliseView(view: View): View {
  return {
    lat: round(Math.max(-MAX_LAT, Math.min(MAX_LAT, view.lat)), LATLON_DIGITS),
    lon: round(wrapLon(view.lon), LATLON_DIGITS),
    zoom: round(Math.max(0, Math.min(MAX_ZOOM, view.zoom)), ZOOM_DIGITS),
  };
}

/** Whether two views are the same once written in a URL. */
export function sameView(a: View | null, b: View | null): boolean {
  if (!a || !b) return a === b;
  const x = normaliseView(a);
  const y = normaliseView(b);
  return x.lat === y.lat && x.lon === y.lon && x.zoom === y.zoom;
}

export function parseCategories(raw: string | null): string[] {
  if (!raw) return [];
  const slugs = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => SLUG.test(s));
  return [...new Set(slugs)].sort().slice(0, MAX_CATEGORIES);
}

export function parseQ(raw: string | null): string {
  if (!raw) return '';
  return raw.replace(/\s+/g, ' ').trim().slice(0, MAX_Q);
}

function parseView(params: URLSearchParams): View | null {
  const lat = parseNumber(params.get('lat'));
  const lon = parseNumber(params.get('lon'));
  const zoom = parseNumber(params.get('z'));
  if (lat === null || lon === null || zoom === null) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 540 || zoom < 0 || zoom > 24) return null;
  return normaliseView({ lat, lon, zoom });
}

export function parseState(search: string): AppState {
  const params = new URLSearchParams(search);
  const selected = params.get('i')?.trim() ?? '';
  const lang = params.get('lang')?.trim().toLowerCase();
  return {
    view: parseView(params),
    categories: parseCategories(params.get('categories')),
    q: parseQ(params.get('q')),
    selected: KEY.test(selected) ? selected : null,
    lang: isLang(lang) ? lang : null,
  };
}

/** The query string for `state` (with its leading "?"), or '' when there is nothing to say. */
export function serializeState(state: AppState): string {
  const params = new URLSearchParams();
  if (state.view) {
    const v = normaliseView(state.view);
    params.set('z', String(v.zoom));
    params.set('lat', String(v.lat));
    params.set('lon', String(v.lon));
  }
  const categories = parseCategories(state.categories.join(','));
  if (categories.length) params.set('categories', categories.join(','));
  const q = parseQ(state.q);
  if (q) params.set('q', q);
  if (state.selected && KEY.test(state.selected)) params.set('i', state.selected);
  if (state.lang) params.set('lang', state.lang);
  // Commas in slug lists are safe in a query string: keep them readable.
  const text = params.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

export function parseBBox(raw: string | null): BBox | null {
  if (!raw) return null;
  const parts = raw.split(',').map((p) => parseNumber(p));
  if (parts.length !== 4 || parts.some((p) => p === null)) return null;
  const [w, s, e, n] = parts as [number, number, number, number];
  if (Math.abs(w) > 180 || Math.abs(e) > 180 || Math.abs(s) > 90 || Math.abs(n) > 90) return null;
  if (s >= n || w === e) return null;
  return [w, s, e, n];
}

export function parseEmbedParams(search: string): EmbedParams {
  const params = new URLSearchParams(search);
  const lang = params.get('lang')?.trim().toLowerCase();
  return {
    categories: parseCategories(params.get('categories')),
    q: parseQ(params.get('q')),
    bbox: parseBBox(params.get('bbox')),
    lang: isLang(lang) ? lang : null,
  };
}

export function serializeEmbedParams(p: EmbedParams): string {
  const params = new URLSearchParams();
  if (p.categories.length) params.set('categories', p.categories.join(','));
  if (p.bbox) params.set('bbox', p.bbox.map((n) => round(n, LATLON_DIGITS)).join(','));
  if (p.q) params.set('q', p.q);
  if (p.lang) params.set('lang', p.lang);
  const text = params.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/** The query string of the API's filters (tiles and listings) for these categories and words. */
export function filterQuery(categories: readonly string[], q: string): URLSearchParams {
  const params = new URLSearchParams();
  if (categories.length) params.set('category', categories.join(','));
  if (q) params.set('q', q);
  return params;
}
