// "Near me": the visitor's position from the browser, or a sentence saying why there is none.

import { t, type Lang } from './i18n';

export interface Position {
  lat: number;
  lon: number;
}

/** Why there is no position, in a sentence for the visitor. */
export class GeoError extends Error {}

export function locate(lang: Lang, geolocation: Geolocation | undefined = 'geolocation' in navigator ? navigator.geolocation : undefined): Promise<Position> {
  return new Promise((resolve, reject) => {
    if (!geolocation) {
      reject(new GeoError(t(lang, 'geoUnsupported')));
      return;
    }
    geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      (error) => {
        const key = error.code === error.PERMISSION_DENIED ? 'geoDenied' : error.code === error.TIMEOUT ? 'geoTimeout' : 'geoUnavailable';
        reject(new GeoError(t(lang, key)));
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  });
}
