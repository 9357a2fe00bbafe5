// A small evaluator for the everyday subset of OpenStreetMap's opening_hours syntax, written for
// this map instead of shipping a full implementation (which would weigh more than the map).
//
// Understood:
//   24/7                                  open all the time
//   Mo-Fr 09:00-18:00                     weekday ranges (wrapping ones too: Sa-Mo)
//   Mo,We,Fr 10:00-12:00,14:00-18:00      weekday lists, several time spans
//   Sa 10:00-12:00; Su off                rules separated by ";" (a later rule replaces the days
//                                         it names), off / closed
//   10:00-18:00                           no weekday: every day
//   Fr 22:00-02:00, 20:00-26:00           spans ending after midnight spill into the next day
//   Mo 10:00-12:00, We 14:00-16:00        "," before a weekday adds a rule without replacing
//   PH off, SH off, "comments"            public/school holidays are ignored (we do not know the
//                                         calendar); comments are ignored
// Anything else (months, dates, weeks, Mo[1], sunrise, 10:00+, "||"...) makes the whole string
// unsupported: the card then shows the raw text and claims neither open nor closed.

export const DAY = 1440;

/** Minutes from the start of a day; `end` may pass 1440 (the span goes on the next day). */
export interface Span {
  start: number;
  end: number;
}

/** Spans of each weekday, Monday first. */
export type Week = Span[][];

export type Status =
  | { kind: 'unknown' }
  | { kind: 'always' }
  | { kind: 'open'; closes: Moment }
  | { kind: 'closed'; opens: Moment | null };

/** A moment relative to now: `days` after today (0 = today), at `minute` of that day. */
export interface Moment {
  days: number;
  minute: number;
  /** Weekday of that day, Monday = 0. */
  weekday: number;
}

const WEEKDAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

type Token =
  | { t: 'day'; v: number }
  | { t: 'holiday' }
  | { t: 'time'; v: number }
  | { t: 'word'; v: 'off' | 'closed' | 'open' }
  | { t: '-' }
  | { t: ',' }
  | { t: 'always' }
  | { t: 'comment' };

class Unsupported extends Error {}

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let rest = rule;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  while ((rest = rest.trimStart())) {
    let m: RegExpExecArray | null;
    if ((m = take(/^24\/7/))) tokens.push({ t: 'always' });
    else if ((m = take(/^(\d{1,2}):(\d{2})(?![\d:+])/))) {
      const hours = Number(m[1]);
      const minutes = Number(m[2]);
      if (minutes > 59 || hours > 48) throw new Unsupported();
      tokens.push({ t: 'time', v: hours * 60 + minutes });
    } else if ((m = take(/^(Mo|Tu|We|Th|Fr|Sa|Su)(?![A-Za-z[])/))) {
      tokens.push({ t: 'day', v: WEEKDAYS.indexOf(m[1] ?? '') });
    } else if ((m = take(/^(PH|SH)(?![A-Za-z[])/))) tokens.push({ t: 'holiday' });
    else if ((m = take(/^(off|closed|open)(?![A-Za-z])/i))) {
      tokens.push({ t: 'word', v: (m[1] ?? '').toLowerCase() as 'off' | 'closed' | 'open' });
    } else if (take(/^-/)) tokens.push({ t: '-' });
    else if (take(/^,/)) tokens.push({ t: ',' });
    else if (take(/^"[^"]*"/)) tokens.push({ t: 'comment' });
    else throw new Unsupported();
  }
  return tokens;
}

interface Rule {
  /** Weekdays the rule names (null: every day); an empty set means only holidays were named. */
  days: Set<number> | null;
  spans: Span[];
  closed: boolean;
  additional: boolean;
}

/** Splits a ";"-separated rule into its ","-joined additional rules and reads each. */
function parseRules(text: string): Rule[] {
  const tokens = tokenize(text);
  if (tokens.length === 0) return [];
  const rules: Rule[] = [];
  let i = 0;
  let additional = false;
  const peek = (k = 0): Token | undefined => tokens[i + k];
  while (i < tokens.length) {
    const rule: Rule = { days: null, spans: [], closed: false, additional };
    let namedHoliday = false;
    // 24/7 stands for every day, all day.
    if (peek()?.t === 'always') {
      i++;
      rule.spans.push({ start: 0, end: DAY });
    } else {
      // Weekday selector.
      while (peek()?.t === 'day' || peek()?.t === 'holiday') {
        const first = tokens[i++] as Token;
        if (first.t === 'holiday') {
          namedHoliday = true;
        } else if (first.t === 'day') {
          rule.days ??= new Set();
          let last = first.v;
          if (peek()?.t === '-') {
            const after = peek(1);
            if (after?.t !== 'day') throw new Unsupported();
            last = after.v;
            i += 2;
          }
          for (let d = first.v; ; d = (d + 1) % 7) {
            rule.days.add(d);
            if (d === last) break;
          }
        }
        if (peek()?.t === ',' && (peek(1)?.t === 'day' || peek(1)?.t === 'holiday')) i++;
        else break;
      }
      if (namedHoliday && !rule.days) rule.days = new Set();
      // Time spans.
      for (let from = peek(); from?.t === 'time'; from = peek()) {
        const to = peek(2);
        if (peek(1)?.t !== '-' || to?.t !== 'time') throw new Unsupported();
        i += 3;
        const start = from.v;
        let end = to.v;
        if (start >= DAY) throw new Unsupported();
        if (end <= start) end += DAY;
        if (end - start > DAY) throw new Unsupported();
        rule.spans.push({ start, end });
        if (peek()?.t === ',' && peek(1)?.t === 'time') i++;
        else break;
      }
    }
    // Modifier.
    const word = peek();
    if (word?.t === 'word') {
      i++;
      if (word.v === 'open') {
        if (rule.spans.length === 0) rule.spans.push({ start: 0, end: DAY });
      } else {
        rule.closed = true;
        rule.spans = [];
      }
    }
    if (peek()?.t === 'comment') i++;
    if (rule.spans.length === 0 && !rule.closed) throw new Unsupported();
    rules.push(rule);
    // A "," here starts an additional rule; anything else is outside the subset.
    if (i < tokens.length) {
      if (peek()?.t !== ',') throw new Unsupported();
      i++;
      additional = true;
      if (i >= tokens.length) throw new Unsupported();
    }
  }
  return rules;
}

/**
 * The weekly schedule of `raw`, or null when it is outside the understood subset.
 * Each span belongs to the weekday it starts on.
 */
export function parseOpeningHours(raw: string | null | undefined): Week | null {
  if (!raw || !raw.trim() || raw.includes('||')) return null;
  const week: Week = [[], [], [], [], [], [], []];
  try {
    let any = false;
    for (const part of raw.split(';')) {
      if (!part.trim()) continue;
      for (const rule of parseRules(part)) {
        any = true;
        const days = rule.days ?? new Set([0, 1, 2, 3, 4, 5, 6]);
        for (const d of days) {
          week[d] = rule.additional && !rule.closed ? [...(week[d] ?? []), ...rule.spans] : [...rule.spans];
        }
      }
    }
    if (!any) return null;
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
  for (const day of week) day.sort((a, b) => a.start - b.start);
  return week;
}

/** Monday-based weekday of a date in the browser's time zone. */
export function mondayWeekday(date: Date): number {
  return (date.getDay() + 6) % 7;
}

/** Merged open intervals from the start of yesterday to 8 days ahead, in minutes from today 00:00. */
function timeline(week: Week, today: number): Span[] {
  const intervals: Span[] = [];
  for (let k = -1; k <= 8; k++) {
    const spans = week[(((today + k) % 7) + 7) % 7] ?? [];
    for (const s of spans) intervals.push({ start: k * DAY + s.start, end: k * DAY + s.end });
  }
  intervals.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of intervals) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}

function moment(minutes: number, today: number): Moment {
  const days = Math.floor(minutes / DAY);
  return { days, minute: minutes - days * DAY, weekday: (today + days) % 7 };
}

/** Whether the place is open at `now` (browser's time zone) and when that changes. */
export function openingStatus(week: Week | null, now: Date): Status {
  if (!week) return { kind: 'unknown' };
  const today = mondayWeekday(now);
  const minute = now.getHours() * 60 + now.getMinutes() + now.getSeconds() / 60;
  const merged = timeline(week, today);
  const current = merged.find((s) => s.start <= minute && minute < s.end);
  if (current) {
    // Open across the whole window we looked at: it never closes.
    if (current.start <= -DAY + 1 && current.end >= 8 * DAY) return { kind: 'always' };
    return { kind: 'open', closes: moment(current.end, today) };
  }
  const next = merged.find((s) => s.start > minute);
  return { kind: 'closed', opens: next && next.start < 8 * DAY ? moment(next.start, today) : null };
}

export function formatMinute(minute: number): string {
  const m = ((minute % DAY) + DAY) % DAY;
  const hh = Math.floor(m / 60);
  const mm = m % 60;
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}

/** "09:00–12:00, 14:00–18:00" for a day's spans ('' when closed). */
export function formatSpans(spans: readonly Span[]): string {
  return spans
    .map((s) => `${formatMinute(s.start)}–${s.end === DAY ? '24:00' : formatMinute(s.end)}`)
    .join(', ');
}
