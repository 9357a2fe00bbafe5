// The category legend, which is also the filter: families and their practices with colour, icon
// and count; ticking any of them narrows the map and the list. The selection is kept in the URL
// in its shortest form: a family whose practices are all ticked is written as the family.

import { categoryName, type Category } from './api';
import { h } from './dom';
import { t, type Lang } from './i18n';
import { categoryIconPath, svgIcon, uiIcon } from './icons';

/** The selection after toggling `slug`, in its shortest form. */
export function toggleCategory(tree: readonly Category[], selected: readonly string[], slug: string): string[] {
  const set = new Set(selected);
  const family = tree.find((f) => f.slug === slug);
  if (family) {
    const wasOn = set.has(family.slug);
    set.delete(family.slug);
    for (const child of family.children) set.delete(child.slug);
    if (!wasOn) set.add(family.slug);
    return [...set].sort();
  }
  const parent = tree.find((f) => f.children.some((c) => c.slug === slug));
  if (!parent) {
    if (set.has(slug)) set.delete(slug);
    else set.add(slug);
    return [...set].sort();
  }
  if (set.has(parent.slug)) {
    set.delete(parent.slug);
    for (const child of parent.children) if (child.slug !== slug) set.add(child.slug);
  } else if (set.has(slug)) {
    set.delete(slug);
  } else {
    set.add(slug);
    if (parent.children.every((c) => set.has(c.slug))) {
      for (const child of parent.children) set.delete(child.slug);
      set.add(parent.slug);
    }
  }
  return [...set].sort();
}

export function swatch(category: Pick<Category, 'colour' | 'icon'>, size: 'small' | 'normal' = 'normal'): HTMLElement {
  const el = h('span', { class: `swatch swatch-${size}`, 'aria-hidden': 'true' }, svgIcon(categoryIconPath(category.icon)));
  el.style.backgroundColor = category.colour;
  return el;
}

interface Ctx {
  onChange: (categories: string[]) => void;
  onRetry: () => void;
}

export class FiltersPanel {
  private tree: Category[] | null = null;
  private builtFor = '';
  private selected: string[] = [];
  private readonly expanded = new Set<string>();

  constructor(
    private readonly root: HTMLElement,
    private readonly clearButton: HTMLButtonElement,
    private readonly ctx: Ctx,
  ) {
    clearButton.addEventListener('click', () => ctx.onChange([]));
  }

  loading(lang: Lang): void {
    this.tree = null;
    this.builtFor = '';
    this.root.replaceChildren(h('p', { class: 'muted' }, t(lang, 'filtersLoading')));
  }

  failed(lang: Lang, detail: string): void {
    this.tree = null;
    this.builtFor = '';
    const retry = h('button', { type: 'button', class: 'btn btn-small' }, t(lang, 'retry'));
    retry.addEventListener('click', () => this.ctx.onRetry());
    this.root.replaceChildren(h('div', { class: 'error-box', role: 'alert' }, h('p', {}, t(lang, 'filtersFailed', { detail })), retry));
  }

  setTree(tree: Category[]): void {
    this.tree = tree;
    this.builtFor = '';
  }

  render(lang: Lang, selected: readonly string[]): void {
    this.selected = [...selected];
    this.clearButton.hidden = selected.length === 0;
    if (!this.tree) return;
    if (this.builtFor !== lang) this.build(lang, this.tree);
    for (const family of this.tree) {
      const familyOn = selected.includes(family.slug);
      const someChild = family.children.some((c) => selected.includes(c.slug));
      const box = this.checkbox(family.slug);
      if (box) {
        box.checked = familyOn;
        box.indeterminate = !familyOn && someChild;
      }
      for (const child of family.children) {
        const childBox = this.checkbox(child.slug);
        if (childBox) childBox.checked = familyOn || selected.includes(child.slug);
      }
      if (someChild && !this.expanded.has(family.slug)) this.setExpanded(family.slug, true);
    }
  }

  private checkbox(slug: string): HTMLInputElement | null {
    return this.root.querySelector<HTMLInputElement>(`input[value="${CSS.escape(slug)}"]`);
  }

  private setExpanded(slug: string, open: boolean): void {
    if (open) this.expanded.add(slug);
    else this.expanded.delete(slug);
    const button = this.root.querySelector<HTMLButtonElement>(`button[data-family="${CSS.escape(slug)}"]`);
    const list = this.root.querySelector<HTMLElement>(`#practices-${CSS.escape(slug)}`);
    button?.setAttribute('aria-expanded', String(open));
    if (list) list.hidden = !open;
  }

  private row(lang: Lang, category: Category, level: 'family' | 'practice'): HTMLElement {
    const id = `cat-${category.slug}`;
    const input = h('input', { type: 'checkbox', id, value: category.slug, name: 'category' });
    input.addEventListener('change', () => {
      if (!this.tree) return;
      this.ctx.onChange(toggleCategory(this.tree, this.selected, category.slug));
    });
    const count = h('span', { class: 'count', title: t(lang, 'countTitle', { n: category.count }) }, String(category.count));
    const label = h('label', { for: id, class: 'cat-label' }, swatch(category, level === 'family' ? 'normal' : 'small'), h('span', { class: 'cat-name' }, categoryName(category, lang)), count);
    return h('div', { class: `cat-row cat-${level}` }, input, label);
  }

  private build(lang: Lang, tree: Category[]): void {
    this.builtFor = lang;
    const list = h('ul', { class: 'cat-tree' });
    for (const family of tree) {
      const row = this.row(lang, family, 'family');
      const practices = h('ul', { class: 'cat-practices', id: `practices-${family.slug}`, hidden: true });
      for (const child of family.children) practices.append(h('li', {}, this.row(lang, child, 'practice')));
      if (family.children.length) {
        const name = categoryName(family, lang);
        const toggle = h(
          'button',
          {
            type: 'button',
            class: 'icon-btn expand',
            'data-family': family.slug,
            'aria-expanded': 'false',
            'aria-controls': practices.id,
            'aria-label': t(lang, 'showPractices', { name }),
            title: t(lang, 'showPractices', { name }),
          },
          uiIcon('chevron'),
        );
        toggle.addEventListener('click', () => this.setExpanded(family.slug, !this.expanded.has(family.slug)));
        row.append(toggle);
      }
      list.append(h('li', { class: 'cat-family-item' }, row, practices));
    }
    this.root.replaceChildren(list);
    for (const slug of this.expanded) this.setExpanded(slug, true);
  }
}
