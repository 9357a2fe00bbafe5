// The area of an initiative (a garden, a park), drawn on the editor's map: click its corners,
// close it, then drag the corners to adjust. Sent as the initiative's `geometry` (a GeoJSON
// Polygon); the API puts the initiative's point inside it. The same area can be typed or pasted
// as GeoJSON, which is also the way in without a pointer.

import maplibregl from 'maplibre-gl';
import { h } from '../dom';
import type { Lang } from '../i18n';
import type { MiniMap, Place } from './mini-map';
import { wt } from './strings';
import { button } from './ui';

type Position = [number, number];

export interface Polygon {
  type: 'Polygon';
  coordinates: Position[][];
}

export interface AreaEditor {
  /** The controls, to put next to the map. */
  element: HTMLElement;
  /** Whether the initiative is drawn as an area (else a point). */
  isArea: () => boolean;
  /** The closed area, or null when there is none yet (fewer than three corners, or not closed). */
  polygon: () => Polygon | null;
  /** Takes a click on the map in area mode (a new corner); false in point mode. */
  click: (place: Place) => boolean;
  /** Attaches the drawing to the map. */
  attach: (map: MiniMap) => void;
}

const SOURCE = 'ws-area';
type Data = GeoJSON.FeatureCollection<GeoJSON.LineString | GeoJSON.Polygon, { kind: string }>;

/** The outer ring of a Polygon or of a MultiPolygon's first polygon, without its closing position. */
export function ringOf(geometry: { type: string; coordinates: unknown } | null | undefined): Position[] | null {
  if (!geometry) return null;
  const rings = geometry.type === 'Polygon' ? (geometry.coordinates as Position[][]) : geometry.type === 'MultiPolygon' ? (geometry.coordinates as Position[][][])[0] : null;
  const ring = rings?.[0];
  if (!ring || ring.length < 4) return null;
  return ring.slice(0, -1).map(([lon, lat]) => [lon, lat]);
}

/** A Polygon of `corners` (closed by repeating the first), six decimals as the API keeps them. */
export function polygonOf(corners: Position[]): Polygon | null {
  if (corners.length < 3) return null;
  const ring = corners.map(([lon, lat]) => [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6] as Position);
  const first = ring[0] as Position;
  return { type: 'Polygon', coordinates: [[...ring, [first[0], first[1]]]] };
}

export function areaEditor(lang: Lang, initial: { type: string; coordinates: unknown } | null | undefined, editable: boolean): AreaEditor {
  const start = ringOf(initial);
  let corners: Position[] = start ?? [];
  let closed = Boolean(start);
  let map: maplibregl.Map | null = null;
  let markers: maplibregl.Marker[] = [];

  const asPoint = h('input', { type: 'radio', name: 'shape', id: 'shape-point', value: 'point', checked: !start, disabled: !editable });
  const asArea = h('input', { type: 'radio', name: 'shape', id: 'shape-area', value: 'area', checked: Boolean(start), disabled: !editable });
  const status = h('p', { class: 'help', id: 'area-status', 'aria-live': 'polite' });
  const close = button(wt(lang, 'areaClose'), 'btn btn-small');
  const undo = button(wt(lang, 'areaUndo'), 'btn btn-small');
  const clear = button(wt(lang, 'areaClear'), 'btn btn-small');
  const text = h('textarea', { id: 'f-area', rows: 3, class: 'ws-area-text', 'aria-describedby': 'f-area-help f-area-error', disabled: !editable, spellcheck: 'false' });
  const textError = h('p', { class: 'field-error', id: 'f-area-error', hidden: true, 'data-pointers': '/geometry' });
  const tools = h(
    'div',
    { class: 'ws-area-tools' },
    h('div', { class: 'button-row' }, close, undo, clear),
    status,
    h('div', { class: 'field' }, h('label', { for: 'f-area' }, wt(lang, 'areaText')), h('p', { class: 'help', id: 'f-area-help' }, wt(lang, 'areaTextHelp')), text, textError),
  );
  const element = h(
    'div',
    { class: 'ws-area' },
    h(
      'fieldset',
      { class: 'field ws-shape' },
      h('legend', {}, wt(lang, 'shape')),
      h('div', { class: 'choice' }, asPoint, h('label', { for: 'shape-point' }, wt(lang, 'shapePoint'))),
      h('div', { class: 'choice' }, asArea, h('label', { for: 'shape-area' }, wt(lang, 'shapeArea'))),
    ),
    tools,
  );

  const isArea = (): boolean => asArea.checked;
  const feature = (): Data => {
    const features: Data['features'] = [];
    if (isArea() && corners.length >= 2) {
      const line = closed ? [...corners, corners[0] as Position] : corners;
      features.push({ type: 'Feature', properties: { kind: 'line' }, geometry: { type: 'LineString', coordinates: line } });
    }
    if (isArea() && closed && corners.length >= 3) {
      features.push({ type: 'Feature', properties: { kind: 'fill' }, geometry: { type: 'Polygon', coordinates: [[...corners, corners[0] as Position]] } });
    }
    return { type: 'FeatureCollection', features };
  };

  const redraw = (fromText = false): void => {
    tools.hidden = !isArea();
    close.disabled = !editable || closed || corners.length < 3;
    undo.disabled = !editable || corners.length === 0;
    clear.disabled = !editable || corners.length === 0;
    status.textContent = !isArea()
      ? ''
      : closed
        ? wt(lang, 'areaClosed', { n: corners.length })
        : corners.length
          ? wt(lang, 'areaOpen', { n: corners.length })
          : wt(lang, 'areaStart');
    if (!fromText) {
      const polygon = closed ? polygonOf(corners) : null;
      text.value = polygon ? JSON.stringify(polygon) : '';
      textError.hidden = true;
      text.removeAttribute('aria-invalid');
    }
    if (!map) return;
    map.getSource<maplibregl.GeoJSONSource>(SOURCE)?.setData(feature());
    for (const m of markers) m.remove();
    markers = isArea()
      ? corners.map((corner, i) => {
          const dot = h('div', { class: 'ws-vertex', 'aria-hidden': 'true', 'data-corner': i });
          const marker = new maplibregl.Marker({ element: dot, draggable: editable }).setLngLat(corner);
          marker.on('drag', () => {
            const at = marker.getLngLat();
            corners[i] = [at.lng, at.lat];
            map?.getSource<maplibregl.GeoJSONSource>(SOURCE)?.setData(feature());
          });
          marker.on('dragend', () => redraw());
          if (map) marker.addTo(map);
          return marker;
        })
      : [];
  };

  asPoint.addEventListener('change', () => redraw());
  asArea.addEventListener('change', () => redraw());
  close.addEventListener('click', () => {
    closed = corners.length >= 3;
    redraw();
  });
  undo.addEventListener('click', () => {
    corners = corners.slice(0, -1);
    closed = false;
    redraw();
  });
  clear.addEventListener('click', () => {
    corners = [];
    closed = false;
    redraw();
  });
  text.addEventListener('change', () => {
    const raw = text.value.trim();
    if (!raw) {
      corners = [];
      closed = false;
      return redraw(true);
    }
    try {
      const ring = ringOf(JSON.parse(raw) as { type: string; coordinates: unknown });
      if (!ring || ring.some((p) => !Array.isArray(p) || !p.every((x) => typeof x === 'number' && Number.isFinite(x)))) throw new Error('not a polygon');
      corners = ring;
      closed = true;
      redraw();
    } catch {
      textError.hidden = false;
      textError.textContent = wt(lang, 'areaTextInvalid');
      text.setAttribute('aria-invalid', 'true');
    }
  });

  redraw();
  return {
    element,
    isArea,
    polygon: () => (isArea() && closed ? polygonOf(corners) : null),
    click: (place) => {
      if (!editable || !isArea() || closed) return isArea();
      corners = [...corners, [place.lon, place.lat]];
      redraw();
      return true;
    },
    attach: (mini) => {
      void mini.ready.then((m) => {
        map = m;
        m.addSource(SOURCE, { type: 'geojson', data: feature() });
        m.addLayer({ id: 'ws-area-fill', type: 'fill', source: SOURCE, filter: ['==', ['get', 'kind'], 'fill'], paint: { 'fill-color': '#15803d', 'fill-opacity': 0.25 } });
        m.addLayer({ id: 'ws-area-line', type: 'line', source: SOURCE, filter: ['==', ['get', 'kind'], 'line'], paint: { 'line-color': '#166534', 'line-width': 3 } });
        if (start && corners.length) {
          const bounds = new maplibregl.LngLatBounds();
          for (const c of corners) bounds.extend(c);
          m.fitBounds(bounds, { padding: 40, maxZoom: 18, duration: 0 });
        }
        redraw();
      });
    },
  };
}
