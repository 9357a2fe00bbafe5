import { describe, expect, it } from 'vitest';
import { formatSpans, openingStatus, parseOpeningHours, type Status } from '../src/opening-hours';

// Fixed local dates (the browser's time zone): 2026-01-05 is a Monday.
const MON = 5;
function at(weekdayFromMonday: number, hh: number, mm = 0): Date {
  return new Date(2026, 0, MON + weekdayFromMonday, hh, mm, 0);
}
const [mo, tu, we, th, fr, sa, su] = [0, 1, 2, 3, 4, 5, 6];

function status(raw: string, date: Date): Status {
  return openingStatus(parseOpeningHours(raw), date);
}

describe('parseOpeningHours', () => {
  it('reads one weekday and one span', () => {
    const week = parseOpeningHours('Sa 14:00-18:00');
    expect(week?.[sa]).toEqual([{ start: 840, end: 1080 }]);
    expect(week?.filter((d) => d.length).length).toBe(1);
  });

  it('reads ranges, lists and several spans', () => {
    const week = parseOpeningHours('Mo-Fr 09:00-12:00,14:00-18:00; Sa,Su 10:00-12:00');
    for (const d of [mo, tu, we, th, fr]) expect(formatSpans(week?.[d] ?? [])).toBe('09:00–12:00, 14:00–18:00');
    expect(formatSpans(week?.[sa] ?? [])).toBe('10:00–12:00');
    expect(formatSpans(week?.[su] ?? [])).toBe('10:00–12:00');
  });

  it('applies a rule without weekdays to every day', () => {
    const week = parseOpeningHours('10:00-18:00');
    expect(week?.every((d) => d.length === 1)).toBe(true);
  });

  it('lets a later rule replace the days it names, including off', () => {
    const week = parseOpeningHours('Mo-Fr 09:00-18:00; We off; Fr 10:00-12:00');
    expect(week?.[we]).toEqual([]);
    expect(formatSpans(week?.[fr] ?? [])).toBe('10:00–12:00');
    expect(formatSpans(week?.[th] ?? [])).toBe('09:00–18:00');
    expect(parseOpeningHours('Mo-Su 10:00-20:00; Su closed')?.[su]).toEqual([]);
  });

  it('adds comma-joined rules without replacing', () => {
    const week = parseOpeningHours('Mo 10:00-12:00, We 14:00-16:00');
    expect(formatSpans(week?.[mo] ?? [])).toBe('10:00–12:00');
    expect(formatSpans(week?.[we] ?? [])).toBe('14:00–16:00');
    const overlapping = parseOpeningHours('Mo-Fr 09:00-12:00, Fr 14:00-16:00');
    expect(formatSpans(overlapping?.[fr] ?? [])).toBe('09:00–12:00, 14:00–16:00');
  });

  it('reads wrapping weekday ranges', () => {
    const week = parseOpeningHours('Sa-Mo 10:00-11:00');
    expect(week?.map((d) => d.length)).toEqual([1, 0, 0, 0, 0, 1, 1]);
  });

  it('reads 24/7, with or without later rules', () => {
    expect(parseOpeningHours('24/7')?.every((d) => d[0]?.start === 0 && d[0].end === 1440)).toBe(true);
    const week = parseOpeningHours('24/7; Su off');
    expect(week?.[su]).toEqual([]);
    expect(week?.[sa]?.length).toBe(1);
  });

  it('ignores public and school holidays and comments gracefully', () => {
    const week = parseOpeningHours('Mo-Fr 09:00-17:00; PH off');
    expect(formatSpans(week?.[mo] ?? [])).toBe('09:00–17:00');
    expect(parseOpeningHours('Mo-Fr,PH 09:00-12:00')?.map((d) => d.length)).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(parseOpeningHours('SH off; Tu 10:00-11:00')?.[tu]?.length).toBe(1);
    expect(parseOpeningHours('Sa 10:00-12:00 "sauf en août"')?.[sa]?.length).toBe(1);
  });

  it('keeps spans past midnight on the day they start', () => {
    expect(parseOpeningHours('Fr 22:00-02:00')?.[fr]).toEqual([{ start: 1320, end: 1560 }]);
    expect(parseOpeningHours('Fr 20:00-26:00')?.[fr]).toEqual([{ start: 1200, end: 1560 }]);
    expect(formatSpans(parseOpeningHours('Fr 20:00-24:00')?.[fr] ?? [])).toBe('20:00–24:00');
  });

  it('tolerates extra spaces and a trailing semicolon', () => {
    expect(parseOpeningHours('  Mo-Fr   09:00-12:00 ;  ')?.[mo]?.length).toBe(1);
  });

  it.each([
    '',
    '   ',
    'Jan-Mar Sa 10:00-12:00',
    'Sa[1] 14:00-17:00',
    'Mo-Fr 10:00+',
    'sunrise-sunset',
    'Mo-Fr 09:00-18:00 || "sur rendez-vous"',
    'week 1-10 Mo 10:00-12:00',
    '2026 Mo 10:00-12:00',
    'Mo-Fr 25:00-26:00',
    'Mo-Fr 09:60-10:00',
    'Mo-Fr',
    'Mo-',
    'Mo 10:00-',
    'Mo 10:00-12:00,',
    'lundi 10h-12h',
    'Mo-Fr 09:00-12:00 unknown',
    'Mo 08:00-09:00 open "x" y',
  ])('returns null for %j (outside the subset)', (raw) => {
    expect(parseOpeningHours(raw)).toBeNull();
    expect(status(raw, at(mo, 10))).toEqual({ kind: 'unknown' });
  });

  it('returns null for a missing value', () => {
    expect(parseOpeningHours(null)).toBeNull();
    expect(parseOpeningHours(undefined)).toBeNull();
  });
});

describe('openingStatus', () => {
  it('is open on Saturday at 15:00 and closes at 18:00', () => {
    expect(status('Sa 14:00-18:00', at(sa, 15))).toEqual({ kind: 'open', closes: { days: 0, minute: 1080, weekday: sa } });
  });

  it('opens later today, at the first minute, and closes at the last one', () => {
    expect(status('Sa 14:00-18:00', at(sa, 13, 59))).toEqual({ kind: 'closed', opens: { days: 0, minute: 840, weekday: sa } });
    expect(status('Sa 14:00-18:00', at(sa, 14, 0)).kind).toBe('open');
    expect(status('Sa 14:00-18:00', at(sa, 18, 0))).toEqual({ kind: 'closed', opens: { days: 7, minute: 840, weekday: sa } });
  });

  it('finds the next opening day over closed days', () => {
    expect(status('Sa 14:00-18:00', at(mo, 10))).toEqual({ kind: 'closed', opens: { days: 5, minute: 840, weekday: sa } });
    expect(status('Mo-Fr 09:00-18:00', at(fr, 19))).toEqual({ kind: 'closed', opens: { days: 3, minute: 540, weekday: mo } });
    expect(status('Mo-Fr 09:00-18:00', at(su, 23, 30))).toEqual({ kind: 'closed', opens: { days: 1, minute: 540, weekday: mo } });
  });

  it('handles a lunch break', () => {
    const raw = 'Mo-Fr 09:00-12:00,14:00-18:00';
    expect(status(raw, at(tu, 12, 30))).toEqual({ kind: 'closed', opens: { days: 0, minute: 840, weekday: tu } });
    expect(status(raw, at(tu, 11))).toEqual({ kind: 'open', closes: { days: 0, minute: 720, weekday: tu } });
  });

  it('is open after midnight when the previous evening spills over', () => {
    const raw = 'Tu-Sa 11:00-01:00';
    // Sunday 00:30: Saturday's evening is still going.
    expect(status(raw, at(su, 0, 30))).toEqual({ kind: 'open', closes: { days: 0, minute: 60, weekday: su } });
    // Sunday 01:30: closed until Tuesday 11:00.
    expect(status(raw, at(su, 1, 30))).toEqual({ kind: 'closed', opens: { days: 2, minute: 660, weekday: tu } });
    // Wednesday 23:00: closes tomorrow at 01:00.
    expect(status(raw, at(we, 23))).toEqual({ kind: 'open', closes: { days: 1, minute: 60, weekday: th } });
    // Monday 00:30: Sunday was closed, nothing spills.
    expect(status(raw, at(mo, 0, 30)).kind).toBe('closed');
  });

  it('spills from Sunday night into Monday morning', () => {
    expect(status('Su 20:00-03:00', at(mo, 2)).kind).toBe('open');
    expect(status('Su 20:00-03:00', at(mo, 3)).kind).toBe('closed');
  });

  it('merges spans that touch across midnight', () => {
    // Open Friday 18:00 to Saturday 04:00 through two rules.
    expect(status('Fr 18:00-24:00; Sa 00:00-04:00', at(fr, 20))).toEqual({ kind: 'open', closes: { days: 1, minute: 240, weekday: sa } });
  });

  it('reports closing at midnight as day 1 minute 0', () => {
    expect(status('Mo-Su 18:00-24:00', at(we, 20))).toEqual({ kind: 'open', closes: { days: 1, minute: 0, weekday: th } });
  });

  it('is always open for 24/7 and for every day all day', () => {
    expect(status('24/7', at(we, 3))).toEqual({ kind: 'always' });
    expect(status('Mo-Su 00:00-24:00', at(su, 23, 59))).toEqual({ kind: 'always' });
    expect(status('24/7; Su off', at(sa, 12))).toEqual({ kind: 'open', closes: { days: 1, minute: 0, weekday: su } });
  });

  it('is closed with no opening when every day is off', () => {
    expect(status('off', at(we, 12))).toEqual({ kind: 'closed', opens: null });
    expect(status('Mo-Su off', at(we, 12))).toEqual({ kind: 'closed', opens: null });
  });

  it('ignores "PH off" whatever the day', () => {
    expect(status('Mo-Fr 09:00-17:00; PH off', at(mo, 10)).kind).toBe('open');
  });

  it('uses the local clock of the date given', () => {
    // Sunday 23:59:30 is still Sunday.
    const date = new Date(2026, 0, 11, 23, 59, 30);
    expect(status('Su 23:00-24:00', date).kind).toBe('open');
  });
});
