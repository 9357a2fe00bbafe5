// The search box: suggestions as you type (the API's accent-insensitive prefix search) in an
// ARIA 1.2 combobox; choosing one flies to the initiative, submitting the words filters the map.
// Territories whose name or code matches follow the initiatives: choosing one opens its dashboard.

import { categoryName, isAbort, messageOf, request, suggestInitiatives, type Category, type Initiative, type Schema } from './api';
import { debounce, h } from './dom';
import { t, type Lang } from './i18n';
import { MAX_Q } from './url-state';

interface Ctx {
  lang: () => Lang;
  categories: () => ReadonlyMap<string, Category>;
  /** Filter the map and the list with these words ('' to clear). */
  onSubmit: (q: string) => void;
  /** Open this initiative. */
  onPick: (item: Initiative) => void;
}

/** A territory suggested by `/api/v1/territories`. */
type TerritoryHit = Schema<'TerritorySummaryDoc'>;

type Option = { initiative: Initiative } | { territory: TerritoryHit };

const TERRITORY_SUGGESTIONS = 3;

export class Search {
  private items: Option[] = [];
  private active = -1;
  private controller: AbortController | null = null;
  private readonly suggest = debounce((text: string) => void this.fetch(text), 180);

  constructor(
    private readonly form: HTMLFormElement,
    private readonly input: HTMLInputElement,
    private readonly listbox: HTMLUListElement,
    private readonly status: HTMLElement,
    private readonly clear: HTMLButtonElement,
    private readonly ctx: Ctx,
  ) {
    input.maxLength = MAX_Q;
    input.addEventListener('input', () => {
      this.clear.hidden = !input.value;
      const text = input.value.trim();
      if (text.length < 2) {
        this.suggest.cancel();
        this.close();
        return;
      }
      this.suggest(text);
    });
    input.addEventListener('keydown', (e) => this.onKey(e));
    input.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== input) this.close(); }, 150));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.suggest.cancel();
      this.close();
      ctx.onSubmit(input.value.trim());
    });
    clear.addEventListener('click', () => {
      input.value = '';
      clear.hidden = true;
      this.close();
      input.focus();
      ctx.onSubmit('');
    });
  }

  private shownQ: string | null = null;

  /** Shows the URL's words in the box when they change (not over what the visitor is typing). */
  render(q: string): void {
    if (q !== this.shownQ) {
      this.shownQ = q;
      this.input.value = q;
    }
    this.clear.hidden = !this.input.value;
  }

  private async fetch(text: string): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const lang = this.ctx.lang();
    const territoryParams = new URLSearchParams({ q: text, limit: String(TERRITORY_SUGGESTIONS) });
    // Territories are a bonus: their failure leaves the initiatives.
    const territories = request<Schema<'TerritoryListDoc'>>(lang, `/api/v1/territories?${territoryParams.toString()}`, { signal: controller.signal })
      .then((r) => r.territories)
      .catch(() => [] as TerritoryHit[]);
    try {
      const result = await suggestInitiatives(lang, text, 8, controller.signal);
      const found = await territories;
      if (controller.signal.aborted) return;
      this.show(lang, text, [...result.items.map((initiative) => ({ initiative })), ...found.map((territory) => ({ territory }))]);
    } catch (e) {
      if (isAbort(e)) return;
      this.items = [];
      this.listbox.replaceChildren(h('li', { class: 'suggestion-message', role: 'option', 'aria-disabled': 'true', id: 'suggestion-error' }, t(lang, 'searchFailed', { detail: messageOf(e, lang) })));
      this.open();
      this.status.textContent = t(lang, 'searchFailed', { detail: messageOf(e, lang) });
    }
  }

  private show(lang: Lang, text: string, items: Option[]): void {
    this.items = items;
    this.active = -1;
    this.input.removeAttribute('aria-activedescendant');
    const index = this.ctx.categories();
    if (!items.length) {
      this.listbox.replaceChildren(h('li', { class: 'suggestion-message', role: 'option', 'aria-disabled': 'true', id: 'suggestion-none' }, t(lang, 'searchNoResult', { q: text })));
      this.status.textContent = t(lang, 'searchNoResult', { q: text });
      this.open();
      return;
    }
    this.listbox.replaceChildren(
      ...items.map((choice, i) => {
        let name: string;
        let detail: string;
        if ('initiative' in choice) {
          const item = choice.initiative;
          const main = index.get(item.categories[0] ?? '');
          name = item.name;
          detail = [main ? categoryName(main, lang) : null, item.address.city].filter(Boolean).join(' · ');
        } else {
          name = choice.territory.name;
          detail = t(lang, 'searchTerritory', { code: choice.territory.code });
        }
        const option = h(
          'li',
          { role: 'option', id: `suggestion-${i}`, class: 'suggestion', 'aria-selected': 'false' },
          h('span', { class: 'suggestion-name' }, name),
          detail ? h('span', { class: 'suggestion-detail' }, detail) : null,
        );
        option.addEventListener('mousedown', (e) => e.preventDefault());
        option.addEventListener('click', () => this.pick(i));
        return option;
      }),
    );
    this.status.textContent = t(lang, 'searchResults', { n: items.length });
    this.open();
  }

  private open(): void {
    this.listbox.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private close(): void {
    this.controller?.abort();
    this.listbox.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }

  private setActive(i: number): void {
    const options = this.listbox.querySelectorAll<HTMLElement>('.suggestion');
    options.forEach((o, k) => o.setAttribute('aria-selected', String(k === i)));
    this.active = i;
    const option = options[i];
    if (option) {
      this.input.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
  }

  private pick(i: number): void {
    const choice = this.items[i];
    if (!choice) return;
    this.close();
    if ('territory' in choice) {
      const { level, code } = choice.territory;
      location.assign(`/territories/${encodeURIComponent(`${level}:${code}`)}?lang=${this.ctx.lang()}`);
      return;
    }
    const item = choice.initiative;
    this.input.value = item.name;
    this.clear.hidden = false;
    this.ctx.onPick(item);
  }

  private onKey(e: KeyboardEvent): void {
    const openWithItems = !this.listbox.hidden && this.items.length > 0;
    switch (e.key) {
      case 'ArrowDown':
        if (openWithItems) {
          e.preventDefault();
          this.setActive((this.active + 1) % this.items.length);
        }
        break;
      case 'ArrowUp':
        if (openWithItems) {
          e.preventDefault();
          this.setActive(this.active <= 0 ? this.items.length - 1 : this.active - 1);
        }
        break;
      case 'Enter':
        if (openWithItems && this.active >= 0) {
          e.preventDefault();
          this.pick(this.active);
        }
        break;
      case 'Escape':
        if (!this.listbox.hidden) {
          e.preventDefault();
          this.close();
        }
        break;
      default:
        break;
    }
  }
}
