import { describe, expect, it } from 'vitest';
import {
  EMPTY_STATE,
  filterQuery,
  parseBBox,
  parseEmbedParams,
  parseState,
  sameView,
  serializeEmbedParams,
  serializeState,
  type AppState,
} from '../src/url-state';

describe('app state in the URL', () => {
  const full: AppState = {
    view: { lat: 45.76412, lon: 4.83571, zoom: 12.5 },
    categories: ['fablab', 'repair-cafe'],
    q: 'vélo réparation',
    selected: 'repair-cafe-lyon-croix-rousse',
    lang: 'en',
  };

  it('round-trips a full state', () => {
    const search = serializeState(full);
    expect(search).toBe('?z=12.5&lat=45.76412&lon=4.83571&categories=fablab,repair-cafe&q=v%C3%A9lo+r%C3%A9paration&i=repair-cafe-lyon-croix-rousse&lang=en');
    expect(parseState(search)).toEqual(full);
  });

  it('round-trips the empty state as an empty query', () => {
    expect(serializeState(EMPTY_STATE)).toBe('');
    expect(parseState('')).toEqual(EMPTY_STATE);
    expect(parseState('?')).toEqual(EMPTY_STATE);
  });

  it('round-trips ids as well as slugs', () => {
    const state = { ...EMPTY_STATE, selected: '01a2007a-14a6-7307-9563-44d48ce0a578' };
    expect(parseState(serializeState(state))).toEqual(state);
  });

  it('rounds positions to what the URL keeps', () => {
    const state = parseState(serializeState({ ...EMPTY_STATE, view: { lat: 45.123456789, lon: -1.987654321, zoom: 7.33333 } }));
    expect(state.view).toEqual({ lat: 45.12346, lon: -1.98765, zoom: 7.33 });
  });

  it('sorts and deduplicates categories so equal filters give equal URLs', () => {
    const a = serializeState({ ...EMPTY_STATE, categories: ['tool-library', 'amap', 'amap'] });
    const b = serializeState({ ...EMPTY_STATE, categories: ['amap', 'tool-library'] });
    expect(a).toBe(b);
    expect(parseState('?categories=b,a,b').categories).toEqual(['a', 'b']);
  });

  it('keeps special characters of the search words', () => {
    const state = { ...EMPTY_STATE, q: 'café & co #1 ?=/' };
    expect(parseState(serializeState(state)).q).toBe('café & co #1 ?=/');
  });

  it.each([
    ['?z=abc&lat=45&lon=4', 'not a number'],
    ['?z=12&lat=45', 'missing longitude'],
    ['?z=12&lat=95&lon=4', 'latitude out of range'],
    ['?z=-1&lat=45&lon=4', 'negative zoom'],
    ['?z=40&lat=45&lon=4', 'zoom too deep'],
    ['?z=1e2&lat=45&lon=4', 'exponent'],
    ['?z=Infinity&lat=45&lon=4', 'infinity'],
    ['?z=&lat=&lon=', 'empty'],
    ['?z=12&lat=0x10&lon=4', 'hexadecimal'],
  ])('drops a bad view: %s (%s)', (search) => {
    expect(parseState(search).view).toBeNull();
  });

  it('clamps a latitude past the Mercator limit and wraps longitudes', () => {
    expect(parseState('?z=3&lat=89&lon=190').view).toEqual({ lat: 85.0511, lon: -170, zoom: 3 });
  });

  it('drops bad values and keeps the good ones', () => {
    const state = parseState('?z=5&lat=46.6&lon=2.4&categories=Repair-Cafe,../etc,,ok-slug,%3Cscript%3E&i=%3Cimg%3E&lang=de&q=%20%20a%20%20b%20');
    expect(state).toEqual({
      view: { lat: 46.6, lon: 2.4, zoom: 5 },
      categories: ['ok-slug', 'repair-cafe'],
      q: 'a b',
      selected: null,
      lang: null,
    });
  });

  it('accepts the language whatever its case and ignores unknown parameters', () => {
    expect(parseState('?lang=FR&utm_source=x').lang).toBe('fr');
  });

  it('limits the search words to 200 characters', () => {
    expect(parseState(`?q=${'a'.repeat(500)}`).q).toHaveLength(200);
  });

  it('survives broken percent-encoding', () => {
    expect(() => parseState('?q=%E0%A4%A&categories=%zz')).not.toThrow();
  });

  it('compares views as the URL writes them', () => {
    expect(sameView({ lat: 45.000001, lon: 4, zoom: 10 }, { lat: 45, lon: 4, zoom: 10.001 })).toBe(true);
    expect(sameView({ lat: 45.0001, lon: 4, zoom: 10 }, { lat: 45, lon: 4, zoom: 10 })).toBe(false);
    expect(sameView(null, null)).toBe(true);
    expect(sameView(null, { lat: 0, lon: 0, zoom: 0 })).toBe(false);
  });
});

describe('embed parameters', () => {
  it('round-trip', () => {
    const p = { categories: ['shared-garden'], q: 'jardin', bbox: [4.7, 45.7, 4.9, 45.8] as [number, number, number, number], lang: 'fr' as const };
    const search = serializeEmbedParams(p);
    expect(search).toBe('?categories=shared-garden&bbox=4.7,45.7,4.9,45.8&q=jardin&lang=fr');
    expect(parseEmbedParams(search)).toEqual(p);
  });

  it.each([
    ['1,2,3', 'three numbers'],
    ['a,b,c,d', 'not numbers'],
    ['4.9,45.8,4.7,45.7', 'south above north'],
    ['4,45,4,46', 'no width'],
    ['-200,40,10,50', 'longitude out of range'],
    ['1,2,3,4,5', 'five numbers'],
  ])('rejects the bbox %s (%s)', (raw) => {
    expect(parseBBox(raw)).toBeNull();
  });

  it('accepts a bbox crossing the antimeridian', () => {
    expect(parseBBox('170,-20,-170,-10')).toEqual([170, -20, -170, -10]);
  });
});

describe('API filters', () => {
  it('writes category and q only when set', () => {
    expect(filterQuery([], '').toString()).toBe('');
    expect(filterQuery(['a', 'b'], 'vélo').toString()).toBe('category=a%2Cb&q=v%C3%A9lo');
  });
});
