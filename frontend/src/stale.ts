// Initiatives nobody has confirmed as still active for a year are "stale": the map draws them
// faded and their card says when they were last confirmed. The tiles carry the day each one was
// last confirmed (`confirmed`, YYYY-MM-DD, UTC; never confirmed: the day it was created), so that
// a cached tile stays right as time passes: the browser compares it with its own today.

import type { ExpressionSpecification } from 'maplibre-gl';

/** How long a confirmation holds, in months (as the workspace's "To check"). */
export const STALE_MONTHS = 12;

/** The first day (YYYY-MM-DD, UTC) that is not stale at `now`: older days are. */
export function staleBefore(now: Date): string {
  const cut = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - STALE_MONTHS, 1));
  // The same day of the month, or the month's last day (29 February → 28 February).
  const last = new Date(Date.UTC(cut.getUTCFullYear(), cut.getUTCMonth() + 1, 0)).getUTCDate();
  cut.setUTCDate(Math.min(now.getUTCDate(), last));
  return cut.toISOString().slice(0, 10);
}

/** Whether an initiative last confirmed (or, never confirmed, created) at `since` is stale at `now`. */
export function isStale(since: string | null | undefined, now: Date): boolean {
  if (!since) return false;
  const day = new Date(since);
  if (Number.isNaN(day.getTime())) return false;
  return day.toISOString().slice(0, 10) < staleBefore(now);
}

/** A MapLibre expression: `faded` for single initiatives of the tiles confirmed before a year ago, else `full`. */
export function staleOpacity(now: Date, faded: number, full = 1): ExpressionSpecification {
  return ['case', ['<', ['coalesce', ['get', 'confirmed'], '9999-12-31'], staleBefore(now)], faded, full];
}
