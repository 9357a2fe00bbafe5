// A small map of one or two places: the basemap of the public map, markers, and (for the
// editor) a place picked by clicking or by dragging the marker.

import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { getConfig, type Config } from '../api';
import { h } from '../dom';
import type { Lang } from '../i18n';
import { loadStyle } from '../map';

export interface Place {
  lon: number;
  lat: number;
  label?: string;
}

let config: Promise<Config> | null = null;

export interface MiniMap {
  element: HTMLElement;
  /** Moves the (first) marker. */
  move: (place: Place) => void;
  /** The map, once drawn. */
  ready: Promise<maplibregl.Map>;
}

export interface MiniMapOptions {
  /** Sees a click first; returning true keeps it from picking a place (drawing an area, say). */
  intercept?: (place: Place) => boolean;
}

/**
 * A map showing `places`; with `onPick`, a click or a drag of the first marker picks a new place.
 * The map is drawn once `element` is in the page.
 */
export function miniMap(lang: Lang, label: string, places: Place[], onPick?: (place: Place) => void, options: MiniMapOptions = {}): MiniMap {
  const element = h('div', { class: 'ws-map', role: 'region', 'aria-label': label });
  const markers: maplibregl.Marker[] = [];
  let map: maplibregl.Map | null = null;
  const waiting: { place: Place | null } = { place: null };
  const move = (place: Place): void => {
    const first = markers[0];
    if (first) {
      first.setLngLat([place.lon, place.lat]);
      map?.easeTo({ center: [place.lon, place.lat] });
    } else waiting.place = place;
  };
  let drawn: (map: maplibregl.Map) => void = () => undefined;
  const ready = new Promise<maplibregl.Map>((done) => (drawn = done));
  void (async () => {
    config ??= getConfig(lang);
    const [{ style }, conf] = await Promise.all([config.then((c) => loadStyle(c)), config]);
    const start = places[0] ?? { lon: conf.default_view.lon, lat: conf.default_view.lat };
    map = new maplibregl.Map({
      container: element,
      style,
      center: [start.lon, start.lat],
      zoom: places.length ? 15 : conf.default_view.zoom,
      maxZoom: 19,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
    });
    map.on('error', () => undefined); // an unreachable basemap leaves a plain background
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
    const colours = ['#0f3d3e', '#c2410c'];
    for (const [i, place] of places.entries()) {
      const marker = new maplibregl.Marker({ color: colours[i % 2] ?? '#0f3d3e', draggable: Boolean(onPick) && i === 0 })
        .setLngLat([place.lon, place.lat])
        .addTo(map);
      if (place.label) marker.getElement().setAttribute('aria-label', place.label);
      markers.push(marker);
    }
    if (places.length > 1) {
      const bounds = new maplibregl.LngLatBounds();
      for (const p of places) bounds.extend([p.lon, p.lat]);
      map.fitBounds(bounds, { padding: 60, maxZoom: 17, duration: 0 });
    }
    if (onPick) {
      const pick = (lngLat: maplibregl.LngLat): void => onPick({ lon: round(lngLat.lng), lat: round(lngLat.lat) });
      map.on('click', (e) => {
        if (options.intercept?.({ lon: round(e.lngLat.lng), lat: round(e.lngLat.lat) })) return;
        let marker = markers[0];
        if (!marker && map) {
          marker = new maplibregl.Marker({ color: colours[0], draggable: true }).setLngLat(e.lngLat).addTo(map);
          marker.on('dragend', () => marker && pick(marker.getLngLat()));
          markers.push(marker);
        }
        marker?.setLngLat(e.lngLat);
        pick(e.lngLat);
      });
      markers[0]?.on('dragend', () => markers[0] && pick(markers[0].getLngLat()));
    }
    if (waiting.place) move(waiting.place);
    (window as unknown as { __wsMap?: maplibregl.Map }).__wsMap = map;
    const loaded = map;
    if (loaded.loaded()) drawn(loaded);
    else loaded.on('load', () => drawn(loaded));
  })();
  return { element, move, ready };
}

/** Six decimals, as the API keeps them. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
