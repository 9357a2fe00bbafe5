import { describe, expect, it } from 'vitest';
import type { Category } from '../src/api';
import { statusSentence } from '../src/card';
import { embedUrl, iframeCode } from '../src/embed-dialog';
import { toggleCategory } from '../src/filters';
import { browserLang, KEYS, t } from '../src/i18n';

function category(slug: string, children: Category[] = []): Category {
  return { slug, name_fr: slug, name_en: slug, colour: '#000000', icon: 'cog', count: 0, children };
}

const tree = [category('food', [category('garden'), category('amap'), category('seeds')]), category('sharing', [category('books')])];

describe('toggleCategory', () => {
  it('ticks and unticks a family', () => {
    expect(toggleCategory(tree, [], 'food')).toEqual(['food']);
    expect(toggleCategory(tree, ['food'], 'food')).toEqual([]);
  });

  it('replaces practices by their family when it is ticked', () => {
    expect(toggleCategory(tree, ['garden', 'books'], 'food')).toEqual(['books', 'food']);
  });

  it('ticks one practice, and writes the family once all of them are ticked', () => {
    expect(toggleCategory(tree, [], 'garden')).toEqual(['garden']);
    expect(toggleCategory(tree, ['amap', 'garden'], 'seeds')).toEqual(['food']);
  });

  it('unticking a practice of a ticked family keeps its siblings', () => {
    expect(toggleCategory(tree, ['food'], 'amap')).toEqual(['garden', 'seeds']);
  });

  it('toggles slugs it does not know (from an old link) as they are', () => {
    expect(toggleCategory(tree, ['gone'], 'gone')).toEqual([]);
  });
});

describe('translations', () => {
  it('has every string in both languages with the same placeholders', () => {
    expect(KEYS.length).toBeGreaterThan(100);
    for (const key of KEYS) {
      const fr = t('fr', key);
      const en = t('en', key);
      expect(typeof fr === 'string' && fr.length > 0, key).toBe(true);
      expect(typeof en === 'string' && en.length > 0, key).toBe(true);
      const names = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
      expect(names(en), key).toEqual(names(fr));
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(t('en', 'listCount', { n: 3 })).toBe('3 initiative(s) in view');
    expect(t('fr', 'searchNoResult', {})).toBe('Aucune initiative ne correspond à « {q} ».');
  });

  it('follows the browser’s first language it knows', () => {
    expect(browserLang(['de-DE', 'en-GB', 'fr'])).toBe('en');
    expect(browserLang(['FR-ca'])).toBe('fr');
    expect(browserLang(['es'])).toBe('fr');
    expect(browserLang([])).toBe('fr');
  });
});

describe('opening sentences', () => {
  it('says when it closes or opens', () => {
    expect(statusSentence('fr', { kind: 'open', closes: { days: 0, minute: 1080, weekday: 5 } })?.text).toBe('Ouvert maintenant · ferme à 18:00');
    expect(statusSentence('en', { kind: 'open', closes: { days: 1, minute: 0, weekday: 6 } })?.text).toBe('Open now · closes at midnight');
    expect(statusSentence('en', { kind: 'open', closes: { days: 1, minute: 60, weekday: 6 } })?.text).toBe('Open now · closes tomorrow at 01:00');
    expect(statusSentence('fr', { kind: 'closed', opens: { days: 0, minute: 840, weekday: 5 } })?.text).toBe('Fermé maintenant · ouvre à 14:00');
    expect(statusSentence('fr', { kind: 'closed', opens: { days: 1, minute: 540, weekday: 0 } })?.text).toBe('Fermé maintenant · ouvre demain à 09:00');
    expect(statusSentence('en', { kind: 'closed', opens: { days: 3, minute: 1080, weekday: 1 } })?.text).toBe('Closed now · opens on Tuesday at 18:00');
    expect(statusSentence('fr', { kind: 'closed', opens: null })?.text).toBe('Fermé toute la semaine');
    expect(statusSentence('en', { kind: 'always' })?.text).toBe('Open 24/7');
  });

  it('claims nothing for hours it cannot read', () => {
    expect(statusSentence('fr', { kind: 'unknown' })).toBeNull();
  });
});

describe('embed code', () => {
  it('points at /embed with the filters and escapes the attribute', () => {
    const src = embedUrl('https://carte.example.fr', { categories: ['amap', 'fablab'], q: 'vélo "x"', bbox: [4.7, 45.7, 4.9, 45.8], lang: 'fr' });
    expect(src).toBe('https://carte.example.fr/embed?categories=amap,fablab&bbox=4.7,45.7,4.9,45.8&q=v%C3%A9lo+%22x%22&lang=fr');
    expect(iframeCode(src, 'Carte "A" & B', '100%', 480)).toBe(
      '<iframe src="https://carte.example.fr/embed?categories=amap,fablab&amp;bbox=4.7,45.7,4.9,45.8&amp;q=v%C3%A9lo+%22x%22&amp;lang=fr" title="Carte &quot;A&quot; &amp; B" width="100%" height="480" style="border:0" loading="lazy" allow="geolocation"></iframe>',
    );
  });
});
