// The list of what is in view (and, after "Near me", of what is nearest). One tab stop: the arrow
// keys move between entries, Enter opens one; hovering or focusing an entry marks it on the map.

import { categoryName, isAbort, listInitiatives, messageOf, type Category, type Initiative } from './api';
import { h } from './dom';
import { swatch } from './filters';
import { t, type Lang } from './i18n';
import { openingStatus, parseOpeningHours } from './opening-hours';
import { uiIcon } from './icons';

export const LIST_LIMIT = 50;

interface Ctx {
  categories: () => ReadonlyMap<string, Category>;
  onOpen: (item: Initiative) => void;
  onHover: (item: Initiative | null) => void;
  now: () => Date;
}

function distance(lang: Lang, metres: number): string {
  if (metres < 1000) return t(lang, 'distanceM', { n: Math.round(metres / 10) * 10 });
  const km = metres / 1000;
  return t(lang, 'distanceKm', { n: new Intl.NumberFormat(lang, { maximumFractionDigits: km < 10 ? 1 : 0 }).format(km) });
}

/** Arrow-key navigation over the buttons of `list`, with a single tab stop. */
function rovingFocus(list: HTMLElement): void {
  list.addEventListener('keydown', (e) => {
    const buttons = [...list.querySelectorAll<HTMLButtonElement>('button.entry')];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    let next = at;
    if (e.key === 'ArrowDown') next = Math.min(buttons.length - 1, at + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, at - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    else return;
    e.preventDefault();
    buttons.forEach((b, i) => (b.tabIndex = i === next ? 0 : -1));
    buttons[next]?.focus();
  });
}

export class ListPanel {
  private controller: AbortController | null = null;
  private lastQuery = '';
  private items: Initiative[] = [];
  private more = false;
  private failure: string | null = null;
  private selected: string | null = null;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly status: HTMLElement,
    private readonly nearest: HTMLElement,
    private readonly ctx: Ctx,
  ) {
    rovingFocus(list);
  }

  /** Loads what `params` (bbox and filters) selects, unless it is what is already shown. */
  async load(lang: Lang, params: URLSearchParams): Promise<void> {
    params.set('limit', String(LIST_LIMIT));
    const key = `${lang}|${params.toString()}`;
    if (key === this.lastQuery) return;
    this.lastQuery = key;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.list.setAttribute('aria-busy', 'true');
    this.status.textContent = t(lang, 'listLoading');
    try {
      const result = await listInitiatives(lang, params, controller.signal);
      if (controller.signal.aborted) return;
      this.items = result.items;
      this.more = Boolean(result.next);
      this.failure = null;
    } catch (e) {
      if (isAbort(e)) return;
      this.items = [];
      this.failure = messageOf(e, lang);
      // Let the next move try again.
      this.lastQuery = '';
    }
    this.list.removeAttribute('aria-busy');
    this.render(lang);
  }

  setSelected(key: string | null): void {
    this.selected = key;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button.entry')) {
      const on = key !== null && (button.dataset.id === key || button.dataset.slug === key);
      button.classList.toggle('is-selected', on);
      if (on) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }

  render(lang: Lang): void {
    if (this.failure) {
      this.status.textContent = '';
      // The alert inside the item: a list holds list items only, and an item cannot be an alert.
      this.list.replaceChildren(h('li', { class: 'error-box' }, h('p', { role: 'alert' }, t(lang, 'listFailed', { detail: this.failure }))));
      return;
    }
    this.status.textContent = !this.items.length
      ? t(lang, 'listEmpty')
      : this.more
        ? t(lang, 'listCountMore', { n: this.items.length })
        : t(lang, 'listCount', { n: this.items.length });
    // The entry under the pointer may go away with its mouseleave: drop its mark.
    this.ctx.onHover(null);
    this.list.replaceChildren(...this.items.map((item, i) => this.entry(lang, item, i === 0)));
    this.setSelected(this.selected);
  }

  private entry(lang: Lang, item: Initiative, first: boolean): HTMLLIElement {
    const index = this.ctx.categories();
    const main = index.get(item.categories[0] ?? '');
    const status = openingStatus(parseOpeningHours(item.opening_hours), this.ctx.now());
    const open = status.kind === 'open' || status.kind === 'always';
    const where = [item.address.city, item.distance_m != null ? distance(lang, item.distance_m) : null].filter(Boolean).join(' · ');
    const button = h(
      'button',
      { type: 'button', class: 'entry', 'data-id': item.id, 'data-slug': item.slug, tabindex: first ? 0 : -1 },
      main ? swatch(main, 'small') : h('span', { class: 'swatch swatch-small', 'aria-hidden': 'true' }),
      h(
        'span',
        { class: 'entry-text' },
        h('span', { class: 'entry-name' }, item.name),
        h('span', { class: 'entry-detail' }, [main ? categoryName(main, lang) : null, where].filter(Boolean).join(' · ')),
        open ? h('span', { class: 'badge badge-open' }, t(lang, 'openNow')) : null,
      ),
    );
    button.addEventListener('click', () => this.ctx.onOpen(item));
    button.addEventListener('mouseenter', () => this.ctx.onHover(item));
    button.addEventListener('mouseleave', () => this.ctx.onHover(null));
    button.addEventListener('focus', () => this.ctx.onHover(item));
    button.addEventListener('blur', () => this.ctx.onHover(null));
    return h('li', {}, button);
  }

  /** The "Near me" results, above the list (null hides them). */
  showNearest(lang: Lang, items: Initiative[] | null, radiusKm = 0): void {
    if (!items) {
      this.nearest.hidden = true;
      this.nearest.replaceChildren();
      return;
    }
    const hide = h('button', { type: 'button', class: 'btn btn-small btn-quiet' }, uiIcon('close'), t(lang, 'nearestClose'));
    hide.addEventListener('click', () => this.showNearest(lang, null));
    const list = h('ul', { class: 'entries', 'aria-labelledby': 'nearest-title' }, ...items.map((item, i) => this.entry(lang, item, i === 0)));
    rovingFocus(list);
    this.nearest.replaceChildren(
      h('div', { class: 'section-head' }, h('h2', { id: 'nearest-title' }, t(lang, 'nearestTitle')), hide),
      items.length ? list : h('p', { class: 'muted' }, t(lang, 'nearestNone', { km: radiusKm })),
    );
    this.nearest.hidden = false;
  }
}
