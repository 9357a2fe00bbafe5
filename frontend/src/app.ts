// The map application. Its state is the URL (see url-state.ts): every change of view, filter,
// search, selection or language writes the URL, then `render` brings every part of the page in
// line with it. Back and forward only re-run `render`. Modules keep caches of data, never state.

import {
  getCategories,
  getConfig,
  indexCategories,
  listInitiatives,
  messageOf,
  type Category,
  type Config,
  type Initiative,
} from './api';
import { Card } from './card';
import { byId, debounce, h } from './dom';
import { openEmbedDialog } from './embed-dialog';
import { FiltersPanel } from './filters';
import { Dialog, openReportForm, openSuggestForm } from './forms';
import { browserLang, t, translatePage, type Lang } from './i18n';
import { fillIcons, uiIcon } from './icons';
import { ListPanel } from './list';
import { ArchipelMap, warmUp } from './map';
import { GeoError, locate } from './near-me';
import { Notices } from './notices';
import { Search } from './search';
import { Sheet } from './sheet';
import { filterQuery, normaliseView, parseState, sameView, serializeState, type AppState, type View } from './url-state';

const FALLBACK_CONFIG: Config = { basemap_style: null, default_view: { lat: 46.6, lon: 2.4, zoom: 5 } };
const NEAR_RADIUS_KM = 50;

type Motion = 'jump' | 'fly' | 'none';

declare global {
  interface Window {
    __archipel?: { map: ArchipelMap['map'] | null; ready: Promise<void> };
  }
}

function currentState(): AppState {
  return parseState(location.search);
}

function langOf(state: AppState): Lang {
  return state.lang ?? browserLang();
}

export class App {
  private map: ArchipelMap | null = null;
  private tree: Category[] = [];
  private index: ReadonlyMap<string, Category> = new Map();
  /** Icon name of each category slug, shared with the map (filled when the categories arrive). */
  private readonly icons = new Map<string, string>();
  private renderedLang: Lang | null = null;
  private focusCard = false;
  private centreOnSelection = false;
  private readonly notices: Notices;
  private readonly filters: FiltersPanel;
  private readonly search: Search;
  private readonly list: ListPanel;
  private readonly card: Card;
  private readonly dialog: Dialog;
  private readonly sheet: Sheet;
  private readonly refreshListSoon = debounce(() => this.refreshList(), 250);

  constructor() {
    const lang = langOf(currentState());
    fillIcons();
    translatePage(lang);
    this.notices = new Notices(byId('notices'), () => this.lang);
    this.dialog = new Dialog(byId<HTMLDialogElement>('dialog'));
    this.sheet = new Sheet(byId('sidebar'), byId('sidebar-body'), byId<HTMLButtonElement>('sheet-handle'), byId('sheet-label'), lang);
    this.filters = new FiltersPanel(byId('filters'), byId<HTMLButtonElement>('filters-clear'), {
      onChange: (categories) => this.navigate({ categories }),
      onRetry: () => void this.loadCategories(),
    });
    this.search = new Search(
      byId<HTMLFormElement>('search'),
      byId<HTMLInputElement>('search-input'),
      byId<HTMLUListElement>('search-suggestions'),
      byId('search-status'),
      byId<HTMLButtonElement>('search-clear'),
      {
        lang: () => this.lang,
        categories: () => this.index,
        onSubmit: (q) => this.navigate({ q }),
        onPick: (item) => this.select(item, true),
      },
    );
    this.list = new ListPanel(byId<HTMLUListElement>('list'), byId('list-status'), byId('nearest'), {
      categories: () => this.index,
      onOpen: (item) => this.select(item, false),
      onHover: (item) => this.map?.mark('hover', item ? [item.point.lon, item.point.lat] : null),
      now: () => new Date(),
    });
    this.card = new Card(byId('card'), {
      categories: () => this.index,
      now: () => new Date(),
      onClose: () => {
        this.navigate({ selected: null });
        this.map?.focus();
      },
      onLoaded: (item) => this.onCardLoaded(item),
      onReport: (item) => openReportForm(this.lang, this.dialog, item),
      hrefOf: (slug) => `${location.origin}/${serializeState({ view: null, categories: [], q: '', selected: slug, lang: currentState().lang })}`,
      openLinked: (slug) => this.navigate({ selected: slug }),
      onLinks: (item, ends) => this.map?.showLinks([item.point.lon, item.point.lat], ends),
      permalink: (item) => {
        const s = currentState();
        return `${location.origin}/${serializeState({ view: null, categories: [], q: '', selected: item.slug, lang: s.lang })}`;
      },
    });
    byId('lang-switch').addEventListener('click', () => this.navigate({ lang: this.lang === 'fr' ? 'en' : 'fr' }));
    byId('open-suggest').addEventListener('click', () => this.openSuggest());
    byId('open-embed').addEventListener('click', () => this.openEmbed());
    byId('near-me').addEventListener('click', () => void this.nearMe());
    byId('pick-cancel').addEventListener('click', () => this.map?.cancelPicking());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !byId('pick-banner').hidden) this.map?.cancelPicking();
    });
    window.addEventListener('popstate', () => this.render('jump'));
  }

  get lang(): Lang {
    return langOf(currentState());
  }

  async start(): Promise<void> {
    const initial = currentState();
    const lang = langOf(initial);
    let resolveReady: () => void = () => undefined;
    window.__archipel = { map: null, ready: new Promise((r) => (resolveReady = r)) };
    // A shared link to an initiative without a view: the map will centre on it once both are in.
    this.centreOnSelection = !initial.view && initial.selected !== null;
    this.filters.loading(lang);
    this.render('none');
    // The map does not wait for the categories (their counts take a while over a large
    // directory): icons drawn before they arrive are drawn again then.
    const categories = this.loadCategories();
    warmUp();
    const config = await getConfig(lang).catch((e: unknown) => {
      this.notices.show('config', t(lang, 'errorConfig', { detail: messageOf(e, lang) }));
      return FALLBACK_CONFIG;
    });
    const view = initial.view ?? normaliseView(config.default_view);
    try {
      this.map = await ArchipelMap.create({
        container: byId('map'),
        lang,
        config,
        icons: this.icons,
        start: { view },
        filters: { categories: initial.categories, q: initial.q },
        onSelect: (id) => {
          this.focusCard = true;
          this.navigate({ selected: id });
        },
        onNotice: (message) => this.notices.show('tiles', message),
      });
    } catch {
      byId('map').replaceChildren(h('div', { class: 'error-box map-error', role: 'alert' }, t(lang, 'mapUnsupported')));
      this.refreshList();
      resolveReady();
      return;
    }
    const map = this.map;
    window.__archipel.map = map.map;
    void categories.then(() => map.redrawIcons());
    const settle = debounce(() => this.navigate({ view: map.view() }, 'push', 'none'), 600);
    map.onMoveEnd(() => {
      settle();
      this.refreshListSoon();
    });
    await map.ready;
    if (!initial.view && !this.centreOnSelection) this.navigate({ view: map.view() }, 'replace', 'none');
    this.centreOnCard();
    this.render('jump');
    this.refreshList();
    resolveReady();
  }

  private async loadCategories(): Promise<void> {
    const lang = this.lang;
    this.filters.loading(lang);
    try {
      this.tree = await getCategories(lang);
      this.index = indexCategories(this.tree);
      for (const [slug, c] of this.index) this.icons.set(slug, c.icon);
      this.filters.setTree(this.tree);
      this.filters.render(this.lang, currentState().categories);
      // What was drawn before the names and colours arrived is drawn again with them.
      this.list.render(this.lang);
      this.card.refresh(this.lang);
    } catch (e) {
      this.filters.failed(lang, messageOf(e, lang));
    }
  }

  /** Writes `patch` into the URL (a new history entry unless `replace`), then renders. */
  navigate(patch: Partial<AppState>, mode: 'push' | 'replace' = 'push', motion: Motion = 'jump'): void {
    const next = { ...currentState(), ...patch };
    const search = serializeState(next);
    if (search !== location.search) {
      const url = `${location.pathname}${search}`;
      if (mode === 'push') history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    this.render(motion);
  }

  /** Brings the page in line with the URL. */
  render(motion: Motion): void {
    const state = currentState();
    const lang = langOf(state);
    if (lang !== this.renderedLang) {
      this.renderedLang = lang;
      translatePage(lang);
      this.sheet.setLang(lang);
      this.map?.setLang(lang);
      this.list.render(lang);
      this.list.showNearest(lang, null);
      byId('lang-switch').setAttribute('lang', lang === 'fr' ? 'en' : 'fr');
    }
    this.filters.render(lang, state.categories);
    this.search.render(state.q);
    this.renderSearchChip(lang, state.q);
    if (this.map) {
      this.map.setFilters({ categories: state.categories, q: state.q });
      if (state.view && motion !== 'none' && !sameView(this.map.view(), state.view)) {
        if (motion === 'fly') this.map.flyTo(state.view);
        else this.map.jumpTo(state.view);
      }
      if (!state.selected) {
        this.map.mark('selected', null);
        this.map.showLinks(null, []);
      }
    }
    const focus = this.focusCard;
    this.focusCard = false;
    void this.card.show(lang, state.selected, focus);
    this.list.setSelected(state.selected);
    this.refreshListSoon();
  }

  private renderSearchChip(lang: Lang, q: string): void {
    const chip = byId('search-chip');
    if (!q) {
      chip.hidden = true;
      chip.replaceChildren();
      return;
    }
    const clear = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t(lang, 'searchClear'), title: t(lang, 'searchClear') }, uiIcon('close'));
    clear.addEventListener('click', () => this.navigate({ q: '' }));
    chip.replaceChildren(h('span', {}, t(lang, 'searchActive', { q })), clear);
    chip.hidden = false;
  }

  private refreshList(): void {
    const state = currentState();
    const params = filterQuery(state.categories, state.q);
    if (this.map) params.set('bbox', this.map.bounds().map((n) => n.toFixed(5)).join(','));
    void this.list.load(langOf(state), params);
  }

  private select(item: Initiative, fly: boolean): void {
    this.focusCard = true;
    if (fly && this.map) {
      const zoom = Math.max(this.map.view().zoom, 15);
      this.navigate({ selected: item.slug, view: normaliseView({ lat: item.point.lat, lon: item.point.lon, zoom }) }, 'push', 'fly');
    } else {
      this.navigate({ selected: item.slug });
    }
  }

  private onCardLoaded(item: Initiative): void {
    this.map?.mark('selected', [item.point.lon, item.point.lat]);
    this.centreOnCard();
  }

  /** For a shared link without a view: centre on the initiative once the map and card are in. */
  private centreOnCard(): void {
    const item = this.card.current;
    if (!this.centreOnSelection || !this.map || !item) return;
    this.centreOnSelection = false;
    this.map.mark('selected', [item.point.lon, item.point.lat]);
    const view: View = normaliseView({ lat: item.point.lat, lon: item.point.lon, zoom: 15 });
    this.map.jumpTo(view);
    this.navigate({ view }, 'replace', 'none');
  }

  private openSuggest(): void {
    const map = this.map;
    openSuggestForm({
      lang: this.lang,
      dialog: this.dialog,
      categories: this.tree,
      centre: () => (map ? map.view() : FALLBACK_CONFIG.default_view),
      pick: () => (map ? map.pickLocation() : Promise.resolve(null)),
      showPick: (at) => map?.mark('pick', at ? [at.lon, at.lat] : null),
      banner: (show) => {
        byId('pick-banner').hidden = !show;
        if (show) map?.focus();
      },
    });
  }

  private openEmbed(): void {
    const state = currentState();
    openEmbedDialog(this.lang, this.dialog, {
      categories: state.categories,
      q: state.q,
      bbox: this.map ? this.map.bounds() : null,
      lang: this.lang,
    });
  }

  private async nearMe(): Promise<void> {
    const lang = this.lang;
    const button = byId<HTMLButtonElement>('near-me');
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    this.notices.clear('geo');
    this.notices.show('geo-busy', t(lang, 'nearMeBusy'), 'info');
    try {
      const at = await locate(lang);
      this.notices.clear('geo-busy');
      this.map?.mark('user', [at.lon, at.lat]);
      this.navigate({ view: normaliseView({ lat: at.lat, lon: at.lon, zoom: 13 }), selected: null }, 'push', 'fly');
      const params = new URLSearchParams({ near: `${at.lat},${at.lon}`, radius: String(NEAR_RADIUS_KM * 1000), limit: '5' });
      const state = currentState();
      for (const [k, v] of filterQuery(state.categories, state.q)) params.set(k, v);
      const result = await listInitiatives(lang, params);
      this.list.showNearest(lang, result.items, NEAR_RADIUS_KM);
      this.sheet.set(true);
    } catch (e) {
      this.notices.clear('geo-busy');
      this.notices.show('geo', e instanceof GeoError ? e.message : messageOf(e, lang));
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}
