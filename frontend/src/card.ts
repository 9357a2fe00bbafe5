// The details of one initiative: what it is, where, when it is open (computed in the browser's
// time zone), how to reach it, where the data comes from, and a permanent link.

import { categoryName, getInitiative, isAbort, messageOf, request, type Category, type Initiative, type Schema } from './api';
import { copyText, h, mailtoHref, safeHref } from './dom';
import { swatch } from './filters';
import { t, weekdayName, weekdayShort, type Key, type Lang } from './i18n';
import { uiIcon } from './icons';
import { formatMinute, formatSpans, mondayWeekday, openingStatus, parseOpeningHours, type Status } from './opening-hours';
import { isStale } from './stale';

interface Ctx {
  categories: () => ReadonlyMap<string, Category>;
  now: () => Date;
  onClose: () => void;
  onLoaded: (item: Initiative) => void;
  onReport?: (item: Initiative) => void;
  /** The permanent link of an initiative. */
  permalink: (item: Initiative) => string;
  /** In the embed: a link to the full map instead of the permalink box. */
  compact?: boolean;
  /** The URL of another initiative (a linked one), and how to open it in place. */
  hrefOf: (slug: string) => string;
  openLinked?: (slug: string) => void;
  /** The linked initiatives of the card shown (none: an empty list), to draw on the map. */
  onLinks?: (item: Initiative, ends: [number, number][]) => void;
}

type LinkView = Schema<'InitiativeLinkDoc'>;

const LINK_KINDS: Record<string, Key> = {
  partner: 'linkPartner',
  member_of: 'linkMemberOf',
  has_member: 'linkHasMember',
  spin_off_of: 'linkSpinOffOf',
  has_spin_off: 'linkHasSpinOff',
  shares_premises_with: 'linkSharesPremises',
  supplies: 'linkSupplies',
  supplied_by: 'linkSuppliedBy',
};

/** "Open now · closes at 18:00" and friends. */
export function statusSentence(lang: Lang, status: Status): { open: boolean; text: string } | null {
  const time = (minute: number): string => formatMinute(minute);
  switch (status.kind) {
    case 'unknown':
      return null;
    case 'always':
      return { open: true, text: t(lang, 'open247') };
    case 'open': {
      const c = status.closes;
      const when =
        c.days === 0
          ? t(lang, 'closesAt', { time: time(c.minute) })
          : c.days === 1 && c.minute === 0
            ? t(lang, 'closesMidnight')
            : c.days === 1
              ? t(lang, 'closesTomorrowAt', { time: time(c.minute) })
              : t(lang, 'closesDayAt', { day: weekdayName(lang, c.weekday), time: time(c.minute) });
      return { open: true, text: `${t(lang, 'openNow')} · ${when}` };
    }
    case 'closed': {
      const o = status.opens;
      if (!o) return { open: false, text: t(lang, 'closedAllWeek') };
      const when =
        o.days === 0
          ? t(lang, 'opensAt', { time: time(o.minute) })
          : o.days === 1
            ? t(lang, 'opensTomorrowAt', { time: time(o.minute) })
            : t(lang, 'opensDayAt', { day: weekdayName(lang, o.weekday), time: time(o.minute) });
      return { open: false, text: `${t(lang, 'closedNow')} · ${when}` };
    }
  }
}

function hoursBlock(lang: Lang, raw: string, now: Date): HTMLElement {
  const week = parseOpeningHours(raw);
  const sentence = statusSentence(lang, openingStatus(week, now));
  const block = h('section', { class: 'card-section hours', 'aria-labelledby': 'card-hours-title' }, h('h3', { id: 'card-hours-title' }, uiIcon('clock'), t(lang, 'openingHours')));
  if (!week || !sentence) {
    block.append(h('p', { class: 'muted' }, t(lang, 'hoursRawNote')), h('p', { class: 'hours-raw', lang: 'zxx' }, raw));
    return block;
  }
  block.append(h('p', { class: `hours-status ${sentence.open ? 'is-open' : 'is-closed'}`, 'data-testid': 'hours-status' }, sentence.text));
  const today = mondayWeekday(now);
  const table = h('table', { class: 'hours-table' }, h('caption', { class: 'visually-hidden' }, `${t(lang, 'openingHours')} (${t(lang, 'hoursTimeZone')})`));
  const body = h('tbody');
  week.forEach((spans, day) => {
    const isToday = day === today;
    body.append(
      h(
        'tr',
        { class: isToday ? 'is-today' : null },
        h('th', { scope: 'row' }, h('abbr', { title: weekdayName(lang, day) }, weekdayShort(lang, day)), isToday ? h('span', { class: 'visually-hidden' }, ` (${t(lang, 'today')})`) : null),
        h('td', {}, spans.length ? formatSpans(spans) : t(lang, 'closedDay')),
      ),
    );
  });
  table.append(body);
  block.append(table);
  return block;
}

function dateText(lang: Lang, iso: string | null): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long' }).format(date);
}

function externalLink(href: string, text: string): HTMLAnchorElement {
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

export class Card {
  private key: string | null = null;
  /** Whether `key` is being fetched, or failed (then it is not asked again until it changes). */
  private pending = false;
  private failedLang: Lang | null = null;
  private item: Initiative | null = null;
  private renderedLang: Lang | null = null;
  private controller: AbortController | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly ctx: Ctx,
  ) {
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        ctx.onClose();
      }
    });
  }

  get current(): Initiative | null {
    return this.item;
  }

  /** Shows the initiative `key` (id or slug); null closes the card. */
  async show(lang: Lang, key: string | null, focus = false): Promise<void> {
    if (key === null) {
      this.controller?.abort();
      this.key = null;
      this.item = null;
      this.pending = false;
      this.failedLang = null;
      this.root.hidden = true;
      this.root.replaceChildren();
      return;
    }
    if (key === this.key && (this.pending || this.failedLang === lang)) return;
    const same = this.item && (this.item.id === key || this.item.slug === key);
    if (same && this.key === key) {
      if (this.renderedLang !== lang) this.render(lang, focus);
      this.root.hidden = false;
      return;
    }
    this.key = key;
    this.pending = true;
    this.failedLang = null;
    this.root.setAttribute('aria-label', t(lang, 'cardLabel'));
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.root.hidden = false;
    this.root.setAttribute('aria-busy', 'true');
    this.root.replaceChildren(this.closeButton(lang), h('p', { class: 'muted card-loading' }, t(lang, 'cardLoading')));
    try {
      const item = await getInitiative(lang, key, controller.signal);
      if (controller.signal.aborted) return;
      this.pending = false;
      this.item = item;
      this.render(lang, focus);
      this.ctx.onLoaded(item);
    } catch (e) {
      if (isAbort(e)) return;
      this.pending = false;
      this.failedLang = lang;
      this.item = null;
      this.root.replaceChildren(
        this.closeButton(lang),
        h('div', { class: 'error-box', role: 'alert' }, h('p', {}, t(lang, 'cardFailed', { detail: messageOf(e, lang) }))),
      );
    } finally {
      if (this.controller === controller) this.root.removeAttribute('aria-busy');
    }
  }

  /** Draws the open card again (after the categories arrived, for instance). */
  refresh(lang: Lang): void {
    if (this.item && !this.root.hidden) this.render(lang, false);
  }

  private closeButton(lang: Lang): HTMLButtonElement {
    const close = h('button', { type: 'button', class: 'icon-btn card-close', 'aria-label': t(lang, 'close'), title: t(lang, 'close') }, uiIcon('close'));
    close.addEventListener('click', () => this.ctx.onClose());
    return close;
  }

  /** Fills `section` with the initiatives linked to `item` (left hidden when there are none). */
  private async loadLinks(lang: Lang, item: Initiative, section: HTMLElement): Promise<void> {
    let links: LinkView[];
    try {
      links = (await request<Schema<'LinkListDoc'>>(lang, `/api/v1/initiatives/${encodeURIComponent(item.id)}/links`)).links;
    } catch {
      return;
    }
    if (this.item?.id !== item.id) return;
    this.ctx.onLinks?.(
      item,
      links.map((l) => [l.initiative.lon, l.initiative.lat]),
    );
    if (!links.length) return;
    const list = h(
      'ul',
      { class: 'plain' },
      ...links.map((link) => {
        const kind = LINK_KINDS[link.kind];
        const anchor = h('a', { href: this.ctx.hrefOf(link.initiative.slug) }, link.initiative.name);
        if (this.ctx.openLinked) {
          anchor.addEventListener('click', (e) => {
            e.preventDefault();
            this.ctx.openLinked?.(link.initiative.slug);
          });
        } else {
          anchor.target = '_blank';
          anchor.rel = 'noopener';
        }
        return h('li', {}, kind ? `${t(lang, kind)} ` : '', anchor);
      }),
    );
    section.replaceChildren(h('h3', { id: 'card-links-title' }, uiIcon('link'), t(lang, 'linkedTitle')), list);
    section.hidden = false;
  }

  private render(lang: Lang, focus: boolean): void {
    const item = this.item;
    if (!item) return;
    this.renderedLang = lang;
    this.root.setAttribute('aria-label', t(lang, 'cardLabel'));
    const index = this.ctx.categories();
    const title = h('h2', { id: 'card-title', tabindex: -1 }, item.name);
    const parts: (HTMLElement | null)[] = [];

    const badges = h('ul', { class: 'card-categories' });
    for (const slug of item.categories) {
      const category = index.get(slug);
      badges.append(h('li', { class: 'category-badge' }, category ? swatch(category, 'small') : null, category ? categoryName(category, lang) : slug));
    }
    parts.push(item.categories.length ? badges : null);
    if (item.status === 'inactive' || item.status === 'closed') {
      parts.push(h('p', { class: 'badge badge-warning' }, t(lang, item.status === 'closed' ? 'statusClosed' : 'statusInactive')));
    }
    const since = item.last_confirmed_at ?? item.created_at;
    if (isStale(since, this.ctx.now())) {
      const day = dateText(lang, since);
      parts.push(h('p', { class: 'card-stale', 'data-testid': 'stale' }, item.last_confirmed_at ? t(lang, 'staleConfirmed', { date: day ?? '' }) : t(lang, 'staleNever', { date: day ?? '' })));
    }
    if (item.description) parts.push(h('p', { class: 'card-description' }, item.description));

    const a = item.address;
    const cityLine = [a.postcode, a.city].filter(Boolean).join(' ');
    if (a.street || cityLine) {
      parts.push(
        h(
          'section',
          { class: 'card-section', 'aria-labelledby': 'card-address-title' },
          h('h3', { id: 'card-address-title' }, uiIcon('pin'), t(lang, 'address')),
          h('p', { class: 'address' }, ...[a.street, cityLine].filter((x): x is string => Boolean(x)).flatMap((line, i) => (i ? [h('br'), line] : [line]))),
        ),
      );
    }
    if (item.opening_hours) parts.push(hoursBlock(lang, item.opening_hours, this.ctx.now()));
    if (item.wheelchair) {
      // OpenStreetMap's wheelchair=*: the sign, then what it means in words.
      parts.push(
        h('p', { class: `card-access access-${item.wheelchair}`, 'data-testid': 'wheelchair' }, h('span', { class: 'access-sign', 'aria-hidden': 'true' }, '♿'), t(lang, `wheelchair_${item.wheelchair}`)),
      );
    }

    const contact = h('dl', { class: 'contact' });
    const c = item.contact;
    if (c.phone) contact.append(h('dt', {}, t(lang, 'phone')), h('dd', {}, h('a', { href: `tel:${c.phone.replace(/[^\d+]/g, '')}` }, c.phone)));
    if (c.email) contact.append(h('dt', {}, t(lang, 'email')), h('dd', {}, h('a', { href: mailtoHref(c.email) }, c.email)));
    const website = safeHref(c.website);
    if (website) contact.append(h('dt', {}, t(lang, 'website')), h('dd', {}, externalLink(website, website.replace(/^https?:\/\//, '').replace(/\/$/, ''))));
    const links = c.links.map(safeHref).filter((l): l is string => Boolean(l));
    if (links.length) {
      contact.append(h('dt', {}, t(lang, 'links')), h('dd', {}, h('ul', { class: 'plain' }, ...links.map((l) => h('li', {}, externalLink(l, l.replace(/^https?:\/\//, '')))))));
    }
    if (contact.childElementCount) {
      parts.push(h('section', { class: 'card-section', 'aria-labelledby': 'card-contact-title' }, h('h3', { id: 'card-contact-title' }, t(lang, 'contact')), contact));
    }

    const linked = h('section', { class: 'card-section card-links', hidden: true, 'aria-labelledby': 'card-links-title' });
    parts.push(linked);
    void this.loadLinks(lang, item, linked);

    const meta = h('dl', { class: 'meta' });
    const p = item.provenance;
    const sourceUrl = safeHref(p.source_url);
    if (sourceUrl || p.source_id) meta.append(h('dt', {}, t(lang, 'source')), h('dd', {}, sourceUrl ? externalLink(sourceUrl, p.source_id ?? sourceUrl) : (p.source_id ?? '')));
    if (item.licence) meta.append(h('dt', {}, t(lang, 'licence')), h('dd', {}, item.licence));
    if (item.attribution) meta.append(h('dt', {}, t(lang, 'attribution')), h('dd', {}, item.attribution));
    const confirmed = dateText(lang, item.last_confirmed_at);
    const updated = dateText(lang, item.updated_at);
    parts.push(
      h(
        'footer',
        { class: 'card-meta' },
        meta.childElementCount ? meta : null,
        h('p', {}, confirmed ? t(lang, 'lastConfirmed', { date: confirmed }) : t(lang, 'neverConfirmed')),
        updated ? h('p', {}, t(lang, 'updated', { date: updated })) : null,
      ),
    );

    const actions = h('div', { class: 'card-actions' });
    const permalink = this.ctx.permalink(item);
    if (this.ctx.compact) {
      actions.append(h('a', { href: permalink, target: '_blank', rel: 'noopener', class: 'btn btn-small' }, uiIcon('link'), t(lang, 'seeOnFullMap')));
    } else {
      const field = h('input', { type: 'text', readonly: true, value: permalink, id: 'permalink', class: 'permalink-field' });
      const copy = h('button', { type: 'button', class: 'btn btn-small' }, uiIcon('copy'), t(lang, 'copy'));
      const feedback = h('span', { class: 'copy-feedback', role: 'status' });
      copy.addEventListener('click', () => {
        void copyText(permalink, field).then((ok) => {
          feedback.textContent = t(lang, ok ? 'copied' : 'copyFailed');
        });
      });
      actions.append(h('div', { class: 'permalink' }, h('label', { for: 'permalink' }, t(lang, 'permalink')), h('div', { class: 'copy-row' }, field, copy), feedback));
      if (this.ctx.onReport) {
        const report = h('button', { type: 'button', class: 'btn btn-small' }, uiIcon('flag'), t(lang, 'report'));
        report.addEventListener('click', () => this.ctx.onReport?.(item));
        actions.append(report);
      }
    }
    parts.push(actions);

    this.root.replaceChildren(this.closeButton(lang), title, ...parts.filter((x): x is HTMLElement => x !== null));
    if (focus) title.focus();
  }
}
