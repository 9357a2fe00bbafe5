// The dashboard of a territory (/territories/{code}): key figures, practices present and
// missing, freshness, creations per month, the evaluation as a radar per dimension, the most
// linked initiatives, and the territory on a map with its initiatives. French or English
// (`?lang=`), printable, laid out for phones; charts are plain SVG.

import './styles.css';
import './territory.css';
import maplibregl from 'maplibre-gl';
import type { LngLatBoundsLike } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import 'maplibre-gl/dist/maplibre-gl.css';
import { ApiError, getConfig, request, type Config, type Schema } from './api';
import { byId, debounce, h } from './dom';
import { browserLang, isLang, type Lang } from './i18n';
import { loadStyle } from './map';
import { barChart, columnChart, gauge, radarChart } from './territory-charts';
import { isTerritoryKey, tt, type TerritoryKey } from './territory-i18n';

// The document says `bbox` has 4 numbers (minItems, maxItems); openapi-typescript types any array as
// `T[]` unless told `--array-length`, which misreads the positions of GeoJSON (prefixItems).
type Figures = Omit<Schema<'TerritoryDoc'>, 'bbox'> & { bbox: [number, number, number, number] };

const FALLBACK_CONFIG: Config = { basemap_style: null, default_view: { lat: 46.6, lon: 2.4, zoom: 5 } };

/** The territory code of the path: `/territories/31555` → `31555`. */
export function codeOf(path: string): string {
  return decodeURIComponent(path.replace(/^\/territories\//, '').replace(/\/+$/, ''));
}

function langOf(): { lang: Lang; forced: boolean } {
  const asked = new URLSearchParams(location.search).get('lang');
  return isLang(asked) ? { lang: asked, forced: true } : { lang: browserLang(), forced: false };
}

function number(lang: Lang, n: number, digits = 0): string {
  return n.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: digits });
}

function levelName(lang: Lang, level: string): string {
  const key = `level_${level}`;
  return isTerritoryKey(key) ? tt(lang, key) : level;
}

function kindName(lang: Lang, kind: string): string {
  const key = `kind_${kind}`;
  return isTerritoryKey(key) ? tt(lang, key) : kind;
}

function pick(lang: Lang, item: { name_fr: string; name_en: string }): string {
  return lang === 'fr' ? item.name_fr : item.name_en;
}

function territoryHref(lang: Lang, forced: boolean, level: string, code: string): string {
  const path = `/territories/${encodeURIComponent(`${level}:${code}`)}`;
  return forced ? `${path}?lang=${lang}` : path;
}

function section(id: string, title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('section', { class: 'tb-card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

function keyFigures(lang: Lang, f: Figures): HTMLElement {
  const figure = (label: string, value: string, note?: string) =>
    h('div', { class: 'tb-figure' }, h('dt', {}, label), h('dd', {}, h('span', { class: 'tb-value' }, value), note ? h('span', { class: 'tb-note' }, note) : null));
  const density = f.initiatives.per_10000;
  const reference = f.initiatives.reference_per_10000;
  return section(
    'figures',
    tt(lang, 'keyFigures'),
    h(
      'dl',
      { class: 'tb-figures' },
      figure(tt(lang, 'population'), f.population === null ? '—' : number(lang, f.population)),
      figure(tt(lang, 'initiatives'), number(lang, f.initiatives.total)),
      figure(
        tt(lang, 'density'),
        density === null ? tt(lang, 'noPopulation') : number(lang, density, 2),
        reference === null ? undefined : tt(lang, 'reference', { value: number(lang, reference, 2) }),
      ),
      figure(tt(lang, 'assessed'), number(lang, f.evaluation.assessed)),
    ),
  );
}

function practices(lang: Lang, f: Figures): HTMLElement {
  const present = f.families
    .flatMap((family) => family.practices)
    .filter((p) => p.count > 0)
    .sort((a, b) => b.count - a.count);
  const body = present.length
    ? barChart(
        present.map((p) => ({ label: pick(lang, p), value: p.count, colour: p.colour })),
        tt(lang, 'practicesPresentChart'),
      )
    : h('p', {}, tt(lang, 'practicesNone'));
  return section('practices', tt(lang, 'practicesPresent'), body);
}

function missing(lang: Lang, f: Figures): HTMLElement {
  const names = new Map(f.families.flatMap((family) => family.practices).map((p) => [p.slug, pick(lang, p)]));
  const list = (slugs: string[]) =>
    slugs.length ? h('ul', { class: 'tb-chips' }, ...slugs.map((s) => h('li', {}, names.get(s) ?? s))) : h('p', {}, tt(lang, 'noneMissing'));
  return section(
    'missing',
    tt(lang, 'practicesMissing'),
    h('p', { class: 'tb-help' }, tt(lang, 'missingHelp')),
    h('h3', {}, tt(lang, 'absent')),
    list(f.gaps.absent),
    h('h3', {}, tt(lang, 'below')),
    list(f.gaps.below_reference),
  );
}

function freshness(lang: Lang, f: Figures): HTMLElement {
  const { share, confirmed_last_12_months: n, total } = f.freshness;
  if (share === null) return section('freshness', tt(lang, 'freshness'), h('p', {}, tt(lang, 'freshnessNone')));
  const text = tt(lang, 'freshnessText', { share: number(lang, share * 100), n: number(lang, n), total: number(lang, total) });
  return section('freshness', tt(lang, 'freshness'), gauge(share, text), h('p', { class: 'tb-freshness' }, text));
}

function creations(lang: Lang, f: Figures): HTMLElement | null {
  if (!f.creations_per_month.length) return null;
  const columns = f.creations_per_month.slice(-24).map((c) => ({ label: c.month, value: c.count }));
  return section('creations', tt(lang, 'creations'), columnChart(columns, tt(lang, 'creationsChart')));
}

function evaluation(lang: Lang, f: Figures): HTMLElement {
  const e = f.evaluation;
  const compared =
    e.compared_with.level === 'all'
      ? tt(lang, 'comparedAll')
      : (f.parents.find((p) => p.level === e.compared_with.level)?.name ?? `${levelName(lang, e.compared_with.level)} ${e.compared_with.code ?? ''}`);
  const csv = h('a', { class: 'btn', href: `/api/v1/territories/${encodeURIComponent(`${f.level}:${f.code}`)}/evaluation.csv`, download: '' }, tt(lang, 'csv'));
  if (e.assessed === 0) return section('evaluation', tt(lang, 'evaluation'), h('p', {}, tt(lang, 'evaluationNone')), csv);
  const fmt = (v: number | null) => (v === null ? '—' : number(lang, v, 2));
  const values = e.dimensions.map((d) => `${pick(lang, d)} ${fmt(d.mean)}`).join(', ');
  const radar = radarChart(
    e.dimensions.map((d) => ({ label: pick(lang, d), value: d.mean, compared: d.compared_mean })),
    -1,
    2,
    tt(lang, 'radarDescription', { values }),
  );
  const table = h(
    'table',
    { class: 'tb-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, tt(lang, 'dimension')), h('th', { scope: 'col' }, tt(lang, 'here')), h('th', { scope: 'col' }, tt(lang, 'compared')), h('th', { scope: 'col' }, tt(lang, 'scored')))),
    h(
      'tbody',
      {},
      ...e.dimensions.map((d) =>
        h('tr', {}, h('th', { scope: 'row' }, pick(lang, d)), h('td', {}, fmt(d.mean)), h('td', {}, fmt(d.compared_mean)), h('td', {}, String(d.assessed))),
      ),
    ),
  );
  return section('evaluation', tt(lang, 'evaluation'), h('p', { class: 'tb-help' }, tt(lang, 'evaluationHelp', { compared })), h('div', { class: 'tb-radar' }, radar, h('div', { class: 'tb-table-wrap', role: 'region', tabindex: 0, 'aria-label': `${tt(lang, 'evaluation')} — ${tt(lang, 'dimension')}` }, table)), csv);
}

function networks(lang: Lang, f: Figures): HTMLElement {
  if (!f.networks.length) return section('networks', tt(lang, 'networks'), h('p', {}, tt(lang, 'networksNone')));
  return section(
    'networks',
    tt(lang, 'networks'),
    h(
      'ol',
      { class: 'tb-networks' },
      ...f.networks.map((n) =>
        h(
          'li',
          {},
          h('a', { href: `/?i=${encodeURIComponent(n.slug)}` }, n.name),
          ' — ',
          tt(lang, 'linksCount', { n: n.links }),
          ` (${n.kinds.map((k) => kindName(lang, k)).join(', ')})`,
        ),
      ),
    ),
  );
}

function children(lang: Lang, forced: boolean, f: Figures): HTMLElement | null {
  if (!f.children.length) return null;
  return section(
    'children',
    tt(lang, 'children'),
    h(
      'ul',
      { class: 'tb-children' },
      ...f.children.map((c) =>
        h('li', {}, h('a', { href: territoryHref(lang, forced, c.level, c.code) }, c.name), ` — ${number(lang, c.initiatives)}`),
      ),
    ),
  );
}

async function drawMap(container: HTMLElement, lang: Lang, f: Figures): Promise<void> {
  const config = await getConfig(lang).catch(() => FALLBACK_CONFIG);
  const { style } = await loadStyle(config);
  const [w, s, e, n] = f.bbox;
  const map = new maplibregl.Map({
    container,
    style,
    bounds: [w, s, e, n] as LngLatBoundsLike,
    fitBoundsOptions: { padding: 24 },
    attributionControl: { compact: true },
    cooperativeGestures: true,
  });
  // Basemap tiles that cannot load (offline, blocked) leave the outline and the points.
  map.on('error', () => undefined);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  window.__archipelTerritory = { map };
  await map.once('load');
  map.addSource('territory', { type: 'geojson', data: { type: 'Feature', geometry: f.geometry, properties: {} } });
  map.addLayer({ id: 'territory-fill', type: 'fill', source: 'territory', paint: { 'fill-color': '#0f3d3e', 'fill-opacity': 0.08 } });
  map.addLayer({ id: 'territory-line', type: 'line', source: 'territory', paint: { 'line-color': '#0f3d3e', 'line-width': 2 } });
  const code = encodeURIComponent(`${f.level}:${f.code}`);
  const points = await request<FeatureCollection>(lang, `/api/v1/initiatives.geojson?territory=${code}&limit=2000`).catch(() => null);
  if (points) {
    map.addSource('initiatives', { type: 'geojson', data: points });
    map.addLayer({
      id: 'territory-initiatives',
      type: 'circle',
      source: 'initiatives',
      paint: { 'circle-radius': 6, 'circle-color': '#c2410c', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
    });
    map.on('click', 'territory-initiatives', (event) => {
      const slug: unknown = event.features?.[0]?.properties.slug;
      if (typeof slug === 'string') location.assign(`/?i=${encodeURIComponent(slug)}`);
    });
  }
  window.__archipelTerritory.points = points?.features.length ?? 0;
}

function render(lang: Lang, forced: boolean, f: Figures): void {
  document.title = `${f.name} — Archipel`;
  const main = byId('dashboard');
  const parents = f.parents.filter((p) => p.name !== null);
  const heading = h(
    'header',
    { class: 'tb-title' },
    h('p', { class: 'tb-level' }, `${levelName(lang, f.level)} · ${f.code}`),
    h('h1', {}, f.name),
    parents.length
      ? h('p', { class: 'tb-parents' }, `${tt(lang, 'in')} `, ...parents.flatMap((p, i) => [i ? ', ' : '', h('a', { href: territoryHref(lang, forced, p.level, p.code) }, p.name ?? p.code)]))
      : null,
    f.year === null ? null : h('p', { class: 'tb-note' }, tt(lang, 'year', { year: f.year })),
  );
  const mapBox = h('div', { class: 'tb-map', role: 'region', 'aria-label': tt(lang, 'mapLabel') });
  main.replaceChildren(
    heading,
    h(
      'div',
      { class: 'tb-grid' },
      keyFigures(lang, f),
      section('map', tt(lang, 'map'), mapBox, h('a', { class: 'tb-map-link', href: `/?z=11&lat=${(f.bbox[1] + f.bbox[3]) / 2}&lon=${(f.bbox[0] + f.bbox[2]) / 2}` }, tt(lang, 'seeOnMap'))),
      practices(lang, f),
      missing(lang, f),
      freshness(lang, f),
      evaluation(lang, f),
      networks(lang, f),
      creations(lang, f),
      children(lang, forced, f),
    ),
  );
  drawMap(mapBox, lang, f).catch(() => {
    mapBox.replaceChildren(h('p', { class: 'tb-status', role: 'alert' }, tt(lang, 'mapUnavailable')));
  });
}

function wireHeader(lang: Lang, forced: boolean): void {
  document.documentElement.lang = lang;
  const skip = byId<HTMLAnchorElement>('skip');
  skip.textContent = tt(lang, 'skip');
  byId('territory-q-label').textContent = tt(lang, 'searchLabel');
  const input = byId<HTMLInputElement>('territory-q');
  input.placeholder = tt(lang, 'searchPlaceholder');
  const print = byId<HTMLButtonElement>('print');
  print.textContent = tt(lang, 'print');
  print.addEventListener('click', () => window.print());
  const other: Lang = lang === 'fr' ? 'en' : 'fr';
  const switcher = byId<HTMLAnchorElement>('lang-switch');
  switcher.textContent = tt(lang, 'switchLang');
  switcher.lang = other;
  switcher.href = `${location.pathname}?lang=${other}`;
  byId<HTMLAnchorElement>('home-link').href = forced ? `/?lang=${lang}` : '/';
  const results = byId<HTMLUListElement>('territory-results');
  const search = debounce((q: string) => {
    if (q.trim().length < 2) {
      results.hidden = true;
      return;
    }
    request<Schema<'TerritoryListDoc'>>(lang, `/api/v1/territories?q=${encodeURIComponent(q.trim())}&limit=8`)
      .then(({ territories }) => {
        results.replaceChildren(
          ...(territories.length
            ? territories.map((t) => h('li', {}, h('a', { href: territoryHref(lang, forced, t.level, t.code) }, `${t.name} (${levelName(lang, t.level)}, ${t.code})`)))
            : [h('li', {}, tt(lang, 'searchNone'))]),
        );
        results.hidden = false;
      })
      .catch(() => (results.hidden = true));
  }, 200);
  input.addEventListener('input', () => search(input.value));
  byId('territory-search').addEventListener('submit', (e) => {
    e.preventDefault();
    results.querySelector('a')?.click();
  });
}

async function start(): Promise<void> {
  const { lang, forced } = langOf();
  wireHeader(lang, forced);
  const status = byId('status');
  status.textContent = tt(lang, 'loading');
  const code = codeOf(location.pathname);
  try {
    const figures = await request<Figures>(lang, `/api/v1/territories/${encodeURIComponent(code)}`);
    render(lang, forced, figures);
  } catch (e) {
    const key: TerritoryKey = e instanceof ApiError && (e.status === 404 || e.status === 400) ? 'notFound' : 'failed';
    status.setAttribute('role', 'alert');
    status.textContent = tt(lang, key, { code, detail: e instanceof Error ? e.message : '' });
  }
}

declare global {
  interface Window {
    __archipelTerritory?: { map: maplibregl.Map; points?: number };
  }
}

void start();
