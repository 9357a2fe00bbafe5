// The map: a MapLibre map over an OpenStreetMap (or configured) basemap, with the API's vector
// tiles on top — clusters below zoom 14, single initiatives from there — and a few marks (hovered
// and selected initiatives, the visitor's position, a location being picked).
//
// The basemap is optional: when it cannot load (offline, blocked, broken style) the initiatives
// are drawn on a plain background and a quiet notice says so.

import maplibregl from 'maplibre-gl';
import type {
  GeoJSONSource,
  MapGeoJSONFeature,
  MapLayerMouseEvent,
  MapMouseEvent,
  StyleSpecification,
  VectorTileSource,
} from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { AJAXError } from 'maplibre-gl';
import type { Config } from './api';
import { t, type Lang } from './i18n';
import { categoryIconPath } from './icons';
import { staleOpacity } from './stale';
import { filterQuery, type BBox, type View } from './url-state';

const SOURCE = 'archipel';
const MARKS = 'archipel-marks';
const LINKS = 'archipel-links';
export const LINK_LAYER = 'ar-links';
export const CLUSTER_LAYER = 'ar-clusters';
export const POINT_LAYER = 'ar-initiatives';
const INTERACTIVE = [CLUSTER_LAYER, POINT_LAYER];
const BACKGROUND = '#e9ede6';
const OSM_ATTRIBUTION =
  '<a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">© OpenStreetMap contributors</a>';

export type MarkKind = 'hover' | 'selected' | 'user' | 'pick';

export interface Filters {
  categories: readonly string[];
  q: string;
}

export interface MapOptions {
  container: HTMLElement;
  lang: Lang;
  config: Config;
  /** Category slug → icon name, to draw markers. */
  icons: ReadonlyMap<string, string>;
  start: { view: View } | { bbox: BBox };
  filters: Filters;
  /** A single initiative was clicked (its slug, or its id). */
  onSelect: (key: string) => void;
  /** A failure to tell the visitor about (tiles that could not be loaded). */
  onNotice: (message: string) => void;
}

function builtinStyle(withOsm: boolean): StyleSpecification {
  return {
    version: 8,
    sources: withOsm
      ? {
          basemap: {
            type: 'raster',
            tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'],
            tileSize: 256,
            maxzoom: 19,
            attribution: OSM_ATTRIBUTION,
          },
        }
      : {},
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } },
      ...(withOsm ? [{ id: 'basemap', type: 'raster' as const, source: 'basemap' }] : []),
    ],
  };
}

/**
 * Starts MapLibre's workers (each parses the library again before it can fetch and decode a
 * tile) while the page still waits for its configuration, rather than when the map is created.
 */
export function warmUp(): void {
  maplibregl.prewarm();
}

/** The configured style, or the built-in one; falls back to a plain background if it fails. */
export async function loadStyle(config: Config): Promise<{ style: StyleSpecification; failed: boolean }> {
  if (!config.basemap_style) return { style: builtinStyle(true), failed: false };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 8000);
  try {
    const response = await fetch(config.basemap_style, { signal: controller.signal });
    if (!response.ok) throw new Error(String(response.status));
    const style = (await response.json()) as StyleSpecification;
    if ((style.version as number) !== 8 || !Array.isArray(style.layers)) throw new Error('not a style');
    return { style, failed: false };
  } catch {
    return { style: builtinStyle(false), failed: true };
  } finally {
    clearTimeout(timer);
  }
}

function countLabel(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  return `${Math.round(n / 1000)}k`;
}

const RATIO = 2;

/** Draws the images the symbol layers ask for: cluster counts and category glyphs. */
function drawImage(id: string, icons: ReadonlyMap<string, string>): ImageData | null {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  if (id.startsWith('ar-count:')) {
    const label = countLabel(Number(id.slice('ar-count:'.length)) || 0);
    canvas.width = (8 + 8 * label.length) * RATIO;
    canvas.height = 16 * RATIO;
    ctx.font = `700 ${12 * RATIO}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#ffffff';
    ctx.fillText(label, canvas.width / 2, canvas.height / 2 + RATIO);
  } else if (id.startsWith('ar-icon:')) {
    const size = 14 * RATIO;
    canvas.width = size;
    canvas.height = size;
    ctx.scale(size / 24, size / 24);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2.4;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.stroke(new Path2D(categoryIconPath(icons.get(id.slice('ar-icon:'.length)))));
  } else {
    return null;
  }
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

function tilesUrl(filters: Filters, lang: Lang): string {
  const params = filterQuery(filters.categories, filters.q);
  params.set('lang', lang);
  return `${location.origin}/api/v1/tiles/{z}/{x}/{y}.mvt?${params.toString().replace(/%2C/g, ',')}`;
}

async function tileErrorDetail(error: unknown, lang: Lang): Promise<string> {
  if (error instanceof AJAXError) {
    try {
      const body = JSON.parse(await error.body.text()) as { detail?: unknown };
      if (typeof body.detail === 'string' && body.detail) return body.detail;
    } catch {
      // Not a problem+json body.
    }
    return error.status ? t(lang, 'errorGeneric', { status: error.status }) : t(lang, 'errorNetwork');
  }
  return t(lang, 'errorNetwork');
}

export class ArchipelMap {
  readonly map: maplibregl.Map;
  readonly ready: Promise<void>;
  private lang: Lang;
  private filters: Filters;
  private marks = new Map<MarkKind, [number, number]>();
  private basemapNoticeShown = false;
  private lastTileError = '';
  private picking: ((at: { lat: number; lon: number } | null) => void) | null = null;

  private constructor(private readonly opts: MapOptions, style: StyleSpecification, basemapFailed: boolean) {
    this.lang = opts.lang;
    this.filters = opts.filters;
    const position =
      'view' in opts.start
        ? { center: [opts.start.view.lon, opts.start.view.lat] as [number, number], zoom: opts.start.view.zoom }
        : { bounds: [[opts.start.bbox[0], opts.start.bbox[1]], [opts.start.bbox[2], opts.start.bbox[3]]] as [[number, number], [number, number]] };
    this.map = new maplibregl.Map({
      container: opts.container,
      style,
      ...position,
      maxZoom: 19,
      attributionControl: false,
      fadeDuration: 150,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      locale: this.locale(),
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(
      new maplibregl.AttributionControl({ compact: true, customAttribution: t(this.lang, 'credits') }),
      'bottom-right',
    );
    this.map.on('styleimagemissing', (e) => {
      const image = drawImage(e.id, opts.icons);
      if (image && !this.map.hasImage(e.id)) this.map.addImage(e.id, image, { pixelRatio: RATIO });
    });
    this.map.on('error', (e) => this.onError(e));
    if (basemapFailed) this.basemapUnavailable();
    // Our layers go in as soon as the style is in, not at 'load': that waits for every basemap
    // tile of the first view (and, when some fail, for their parents), and only then would the
    // initiatives' tiles be asked for. Both now load side by side.
    this.ready = new Promise((resolve) => {
      // With a listener, once() returns the map, not a promise.
      void this.map.once('style.load', () => {
        this.addLayers();
        this.relabel();
        resolve();
      });
    });
    this.map.on('click', (e) => this.onClick(e));
    this.map.on('mousemove', (e) => {
      if (this.picking) return;
      const hit = this.featuresAt(e).length > 0;
      this.map.getCanvas().style.cursor = hit ? 'pointer' : '';
    });
    this.map.getCanvasContainer().addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.picking) this.finishPicking(null);
    });
  }

  static async create(opts: MapOptions): Promise<ArchipelMap> {
    const { style, failed } = await loadStyle(opts.config);
    return new ArchipelMap(opts, style, failed);
  }

  private locale(): Record<string, string> {
    const fr = this.lang === 'fr';
    return {
      'NavigationControl.ZoomIn': fr ? 'Zoomer' : 'Zoom in',
      'NavigationControl.ZoomOut': fr ? 'Dézoomer' : 'Zoom out',
      'AttributionControl.ToggleAttribution': fr ? 'Afficher ou masquer les crédits' : 'Show or hide the credits',
      'Map.Title': t(this.lang, 'mapLabel'),
    };
  }

  /** MapLibre reads its locale once: keep its controls' labels in the current language. */
  private relabel(): void {
    const labels = this.locale();
    const container = this.map.getContainer();
    const set = (selector: string, key: string): void => {
      const el = container.querySelector(selector);
      const label = labels[key];
      if (el && label) {
        el.setAttribute('aria-label', label);
        el.setAttribute('title', label);
      }
    };
    set('.maplibregl-ctrl-zoom-in', 'NavigationControl.ZoomIn');
    set('.maplibregl-ctrl-zoom-out', 'NavigationControl.ZoomOut');
    set('.maplibregl-ctrl-attrib-button', 'AttributionControl.ToggleAttribution');
    const canvas = this.map.getCanvas();
    canvas.setAttribute('aria-label', t(this.lang, 'mapLabel'));
    canvas.setAttribute('role', 'region');
    canvas.setAttribute('aria-roledescription', this.lang === 'fr' ? 'carte' : 'map');
    const credits = container.querySelector('.maplibregl-ctrl-attrib-inner');
    const own = t(this.lang, 'credits');
    const other = t(this.lang === 'fr' ? 'en' : 'fr', 'credits');
    if (credits?.innerHTML.includes(other)) credits.innerHTML = credits.innerHTML.replace(other, own);
  }

  private addLayers(): void {
    const map = this.map;
    map.addSource(SOURCE, {
      type: 'vector',
      tiles: [tilesUrl(this.filters, this.lang)],
      minzoom: 0,
      // The server clusters up to z14 and sends single initiatives from z15 on.
      maxzoom: 15,
      promoteId: { initiatives: 'id' },
    });
    map.addSource(MARKS, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addSource(LINKS, { type: 'geojson', data: { type: 'FeatureCollection', features: this.linkLines() } });
    // Lines from the selected initiative to those it is linked with, under the points.
    map.addLayer({
      id: LINK_LAYER,
      type: 'line',
      source: LINKS,
      layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#111827', 'line-width': 2, 'line-dasharray': [2, 2], 'line-opacity': 0.8 },
    });
    map.addLayer({
      id: CLUSTER_LAYER,
      type: 'circle',
      source: SOURCE,
      'source-layer': 'clusters',
      paint: {
        'circle-color': ['coalesce', ['get', 'colour'], '#475569'],
        'circle-radius': ['interpolate', ['linear'], ['get', 'count'], 2, 13, 10, 16, 100, 21, 1000, 27],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
        'circle-opacity': 0.95,
      },
    });
    map.addLayer({
      id: 'ar-cluster-counts',
      type: 'symbol',
      source: SOURCE,
      'source-layer': 'clusters',
      layout: {
        'icon-image': ['concat', 'ar-count:', ['to-string', ['get', 'count']]],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
    });
    map.addLayer({
      id: 'ar-marks-ring',
      type: 'circle',
      source: MARKS,
      filter: ['in', ['get', 'kind'], ['literal', ['hover', 'selected']]],
      paint: {
        'circle-radius': ['match', ['get', 'kind'], 'selected', 19, 17],
        'circle-color': 'rgba(255,255,255,0.6)',
        'circle-stroke-color': ['match', ['get', 'kind'], 'selected', '#111827', '#1d4ed8'],
        'circle-stroke-width': 3,
      },
    });
    map.addLayer({
      id: POINT_LAYER,
      type: 'circle',
      source: SOURCE,
      'source-layer': 'initiatives',
      paint: {
        'circle-color': ['coalesce', ['get', 'colour'], '#475569'],
        'circle-radius': 11,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
        // Not confirmed for a year: faded (the card says since when).
        'circle-opacity': staleOpacity(new Date(), 0.4),
        'circle-stroke-opacity': staleOpacity(new Date(), 0.5),
      },
    });
    map.addLayer({
      id: 'ar-initiative-icons',
      type: 'symbol',
      source: SOURCE,
      'source-layer': 'initiatives',
      layout: {
        'icon-image': ['concat', 'ar-icon:', ['coalesce', ['get', 'category'], '']],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
      paint: { 'icon-opacity': staleOpacity(new Date(), 0.55) },
    });
    map.addLayer({
      id: 'ar-marks-points',
      type: 'circle',
      source: MARKS,
      filter: ['in', ['get', 'kind'], ['literal', ['user', 'pick']]],
      paint: {
        'circle-radius': ['match', ['get', 'kind'], 'user', 8, 10],
        'circle-color': ['match', ['get', 'kind'], 'user', '#2563eb', '#be123c'],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    });
    this.renderMarks();
  }

  private featuresAt(e: MapMouseEvent): MapGeoJSONFeature[] {
    if (!this.map.getLayer(POINT_LAYER)) return [];
    const pad = 6;
    return this.map.queryRenderedFeatures(
      [
        [e.point.x - pad, e.point.y - pad],
        [e.point.x + pad, e.point.y + pad],
      ],
      { layers: INTERACTIVE },
    );
  }

  private onClick(e: MapLayerMouseEvent | MapMouseEvent): void {
    if (this.picking) {
      this.finishPicking({ lat: e.lngLat.lat, lon: e.lngLat.lng });
      return;
    }
    const feature = this.featuresAt(e)[0];
    if (!feature) return;
    const p = feature.properties as Record<string, unknown>;
    if (feature.layer.id === CLUSTER_LAYER) {
      const [w, s, east, n] = [p.west, p.south, p.east, p.north].map(Number) as [number, number, number, number];
      if ([w, s, east, n].every(Number.isFinite)) {
        this.map.fitBounds(
          [
            [w, s],
            [east, n],
          ],
          { padding: 60, maxZoom: 16, duration: 600 },
        );
      }
    } else if (typeof p.slug === 'string' && p.slug) {
      // Slugs make readable permalinks; ids remain a fallback.
      this.opts.onSelect(p.slug);
    } else if (typeof p.id === 'string') {
      this.opts.onSelect(p.id);
    }
  }

  private onError(e: { error: unknown; sourceId?: string }): void {
    // MapLibre does not draw again after a tile fails (except with a 404): when the failed tile
    // was the last one awaited — an unreachable basemap, typically — the map is loaded but
    // 'load' and 'idle' would wait for the next user gesture. Ask for one more frame.
    this.map.triggerRepaint();
    if (e.sourceId === SOURCE) {
      void tileErrorDetail(e.error, this.lang).then((detail) => {
        // Many tiles fail together: say it once per distinct reason.
        if (detail === this.lastTileError) return;
        this.lastTileError = detail;
        this.opts.onNotice(t(this.lang, 'errorTiles', { detail }));
      });
    } else if (e.sourceId !== MARKS) {
      this.basemapUnavailable();
    }
  }

  /** A quiet line on the map itself: nothing is broken, the background is just plain. */
  private basemapUnavailable(): void {
    if (this.basemapNoticeShown) return;
    this.basemapNoticeShown = true;
    const note = document.createElement('p');
    note.className = 'map-note';
    note.setAttribute('role', 'status');
    note.textContent = t(this.lang, 'basemapUnavailable');
    this.map.getContainer().append(note);
  }

  setLang(lang: Lang): void {
    if (lang === this.lang) return;
    this.lang = lang;
    this.relabel();
    this.updateTiles();
    const note = this.map.getContainer().querySelector('.map-note');
    if (note) note.textContent = t(lang, 'basemapUnavailable');
  }

  setFilters(filters: Filters): void {
    if (filters.categories.join(',') === this.filters.categories.join(',') && filters.q === this.filters.q) return;
    this.filters = { categories: [...filters.categories], q: filters.q };
    this.lastTileError = '';
    this.updateTiles();
  }

  private updateTiles(): void {
    const source = this.map.getSource<VectorTileSource>(SOURCE);
    source?.setTiles([tilesUrl(this.filters, this.lang)]);
  }

  view(): View {
    const c = this.map.getCenter();
    return { lat: c.lat, lon: c.lng, zoom: this.map.getZoom() };
  }

  bounds(): BBox {
    const b = this.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  jumpTo(view: View): void {
    this.map.jumpTo({ center: [view.lon, view.lat], zoom: view.zoom });
  }

  flyTo(view: View): void {
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.map.flyTo({ center: [view.lon, view.lat], zoom: view.zoom, duration: reduce ? 0 : 1200, essential: false });
  }

  /** Puts (or removes, with null) a mark at [lon, lat]. */
  /** Draws lines from `from` to each of `to` (the selected initiative's links); null clears. */
  showLinks(from: [number, number] | null, to: readonly [number, number][]): void {
    this.links = from ? to.map((end) => [from, end]) : [];
    this.map.getSource<GeoJSONSource>(LINKS)?.setData({ type: 'FeatureCollection', features: this.linkLines() });
  }

  private links: [number, number][][] = [];

  private linkLines(): GeoJSON.Feature[] {
    return this.links.map((coordinates) => ({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates } }));
  }

  mark(kind: MarkKind, at: [number, number] | null): void {
    if (at) this.marks.set(kind, at);
    else this.marks.delete(kind);
    this.renderMarks();
  }

  private renderMarks(): void {
    const source = this.map.getSource<GeoJSONSource>(MARKS);
    source?.setData({
      type: 'FeatureCollection',
      features: [...this.marks].map(([kind, coordinates]) => ({
        type: 'Feature',
        properties: { kind },
        geometry: { type: 'Point', coordinates },
      })),
    });
  }

  /** Waits for one click on the map; null when cancelled (Escape or `cancelPicking`). */
  pickLocation(): Promise<{ lat: number; lon: number } | null> {
    this.finishPicking(null);
    this.map.getCanvas().style.cursor = 'crosshair';
    return new Promise((resolve) => {
      this.picking = resolve;
    });
  }

  cancelPicking(): void {
    this.finishPicking(null);
  }

  private finishPicking(at: { lat: number; lon: number } | null): void {
    const done = this.picking;
    this.picking = null;
    this.map.getCanvas().style.cursor = '';
    done?.(at);
  }

  /** Draws the category icons again (after the categories arrived, later than the first tiles). */
  redrawIcons(): void {
    for (const slug of this.opts.icons.keys()) {
      const id = `ar-icon:${slug}`;
      if (!this.map.hasImage(id)) continue;
      const image = drawImage(id, this.opts.icons);
      if (image) this.map.updateImage(id, image);
    }
  }

  onMoveEnd(listener: () => void): void {
    this.map.on('moveend', listener);
  }

  focus(): void {
    this.map.getCanvas().focus();
  }
}
