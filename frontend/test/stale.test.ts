import { describe, expect, it } from 'vitest';
import { isStale, staleBefore, staleOpacity } from '../src/stale';

describe('stale initiatives', () => {
  it('are those confirmed before the same day a year ago (UTC)', () => {
    expect(staleBefore(new Date('2026-12-01T17:00:00Z'))).toBe('2025-12-01');
    expect(staleBefore(new Date('2026-01-15T00:30:00+01:00'))).toBe('2025-01-14');
    expect(staleBefore(new Date('2028-02-29T12:00:00Z'))).toBe('2027-02-28');
  });

  it('count from the confirmation, or from the creation when never confirmed', () => {
    const now = new Date('2026-12-01T17:00:00Z');
    expect(isStale('2025-11-30T23:59:00Z', now)).toBe(true);
    expect(isStale('2025-12-01T00:00:00Z', now)).toBe(false);
    expect(isStale('2026-09-14T10:00:00Z', now)).toBe(false);
    expect(isStale(null, now)).toBe(false);
    expect(isStale('not a date', now)).toBe(false);
  });

  it('fade on the map by comparing the tile’s day with the cut-off', () => {
    expect(staleOpacity(new Date('2026-12-01T17:00:00Z'), 0.4)).toEqual(['case', ['<', ['coalesce', ['get', 'confirmed'], '9999-12-31'], '2025-12-01'], 0.4, 1]);
  });
});
