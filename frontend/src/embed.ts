// The embeddable map (/embed): no header, list or forms; the card on click. Reads categories,
// bbox, q and lang from its URL and never writes it (it lives in someone else's page).

import './styles.css';
import { getCategories, getConfig, indexCategories, messageOf, type Category, type Config } from './api';
import { Card } from './card';
import { byId, h } from './dom';
import { browserLang, t, translatePage } from './i18n';
import { fillIcons } from './icons';
import { ArchipelMap } from './map';
import { Notices } from './notices';
import { normaliseView, parseEmbedParams, serializeState } from './url-state';

const FALLBACK_CONFIG: Config = { basemap_style: null, default_view: { lat: 46.6, lon: 2.4, zoom: 5 } };

async function start(): Promise<void> {
  const params = parseEmbedParams(location.search);
  const lang = params.lang ?? browserLang();
  translatePage(lang);
  fillIcons();
  let ready: () => void = () => undefined;
  window.__archipel = { map: null, ready: new Promise((r) => (ready = r)) };
  const notices = new Notices(byId('notices'), () => lang);
  let index: ReadonlyMap<string, Category> = new Map();
  const [config, tree] = await Promise.all([
    getConfig(lang).catch(() => FALLBACK_CONFIG),
    getCategories(lang).catch((e: unknown) => {
      notices.show('categories', t(lang, 'filtersFailed', { detail: messageOf(e, lang) }));
      return [] as Category[];
    }),
  ]);
  index = indexCategories(tree);
  const fullMap = byId<HTMLAnchorElement>('full-map');
  const fullState = { view: null, categories: params.categories, q: params.q, selected: null, lang: params.lang };
  fullMap.href = `${location.origin}/${serializeState(fullState)}`;

  let map: ArchipelMap | null = null;
  const card = new Card(byId('card'), {
    categories: () => index,
    now: () => new Date(),
    compact: true,
    onClose: () => {
      void card.show(lang, null);
      map?.mark('selected', null);
      map?.focus();
    },
    onLoaded: (item) => map?.mark('selected', [item.point.lon, item.point.lat]),
    permalink: (item) => `${location.origin}/${serializeState({ ...fullState, selected: item.slug })}`,
    hrefOf: (slug) => `${location.origin}/${serializeState({ ...fullState, selected: slug })}`,
  });
  try {
    map = await ArchipelMap.create({
      container: byId('map'),
      lang,
      config,
      icons: new Map([...index].map(([slug, c]) => [slug, c.icon])),
      start: params.bbox ? { bbox: params.bbox } : { view: normaliseView(config.default_view) },
      filters: { categories: params.categories, q: params.q },
      onSelect: (id) => void card.show(lang, id, true),
      onNotice: (message) => notices.show('tiles', message),
    });
    window.__archipel.map = map.map;
    await map.ready;
  } catch {
    byId('map').replaceChildren(h('div', { class: 'error-box map-error', role: 'alert' }, t(lang, 'mapUnsupported')));
  }
  ready();
}

void start();
