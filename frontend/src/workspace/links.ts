// The links of an initiative with others (partner, member of a network, spin-off, shared
// premises, supplier), as both sides see them: the kind in words, the other initiative (to its
// own page), the note and dates; Remove. Add one: its kind, the other initiative found by name
// (the map's suggestions), a note and dates; the API's refusals (already linked, itself) inline.

import { suggestInitiatives, type Initiative, type Schema } from '../api';
import { h } from '../dom';
import type { Lang } from '../i18n';
import { initiativeTabs } from './evaluation';
import { may } from './session';
import { wt, wtValue } from './strings';
import { busy, button, dayText, field, heading, loadFailed, showProblem, type Context } from './ui';

export type LinkView = Schema<'InitiativeLinkDoc'>;

/** The kinds an editor names, from this initiative's side. */
export const KINDS = ['partner', 'member_of', 'spin_off_of', 'shares_premises_with', 'supplies'] as const;

/** "since 1 March 2024", "until …", both, or nothing. */
export function periodText(lang: Lang, since: string | null, until: string | null): string {
  const day = (d: string): string => dayText(lang, `${d}T12:00:00Z`);
  if (since && until) return wt(lang, 'linkFromTo', { since: day(since), until: day(until) });
  if (since) return wt(lang, 'linkSince', { since: day(since) });
  if (until) return wt(lang, 'linkUntil', { until: day(until) });
  return '';
}

function linkItem(ctx: Context, link: LinkView, editable: boolean, removed: () => Promise<void>, self: string): HTMLElement {
  const { lang } = ctx;
  const path = `/workspace/initiatives/${link.initiative.id}`;
  const other = h('a', { href: `${path}${location.search}` }, link.initiative.name);
  other.addEventListener('click', (e) => {
    e.preventDefault();
    ctx.navigate(path);
  });
  const period = periodText(lang, link.since, link.until);
  const item = h(
    'li',
    { class: 'ws-link', 'data-link': link.id },
    h('p', {}, h('span', { class: 'ws-link-kind' }, wtValue(lang, 'link', link.kind)), ' ', other),
    link.note ? h('p', { class: 'ws-link-note' }, link.note) : null,
    period ? h('p', { class: 'muted' }, period) : null,
  );
  if (editable) {
    const remove = button(wt(lang, 'removeLink'), 'btn btn-small', { 'aria-label': wt(lang, 'removeLinkWith', { name: link.initiative.name }) });
    remove.addEventListener('click', () =>
      void busy(ctx, remove, async () => {
        await ctx.api.send('DELETE', `/api/v1/initiatives/${encodeURIComponent(self)}/links/${String(link.id)}`);
        ctx.notices.show('links', wt(lang, 'linkRemoved', { name: link.initiative.name }), 'info');
        await removed();
      }),
    );
    item.append(remove);
  }
  return item;
}

/** The form to add a link: kind, the other initiative searched by name, note, dates. */
function addForm(ctx: Context, item: Initiative, added: () => Promise<void>): HTMLElement {
  const { lang, api } = ctx;
  const kind = field(lang, 'l-kind', 'fLinkKind', h('select', {}, ...KINDS.map((k) => h('option', { value: k }, wtValue(lang, 'link', k)))), ['/kind']);
  const search = field(lang, 'l-search', 'fLinkTo', h('input', { type: 'search', autocomplete: 'off' }), ['/to'], wt(lang, 'fLinkToHelp'));
  const results = h('fieldset', { class: 'choice-group ws-link-results', hidden: true }, h('legend', {}, wt(lang, 'linkResults')));
  const status = h('p', { class: 'muted', role: 'status', id: 'l-search-status' });
  const note = field(lang, 'l-note', 'fLinkNote', h('input', { type: 'text', maxlength: 1000 }), ['/note']);
  const since = field(lang, 'l-since', 'fLinkSince', h('input', { type: 'date' }), ['/since']);
  const until = field(lang, 'l-until', 'fLinkUntil', h('input', { type: 'date' }), ['/until']);
  const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });
  let asked = 0;
  let timer: number | undefined;
  const find = async (q: string): Promise<void> => {
    const mine = ++asked;
    if (q.length < 2) {
      results.hidden = true;
      status.textContent = '';
      return;
    }
    try {
      const found = (await suggestInitiatives(lang, q, 8)).items;
      if (mine !== asked) return;
      results.replaceChildren(
        h('legend', {}, wt(lang, 'linkResults')),
        ...found.map((other) => {
          const id = `l-to-${other.id}`;
          const place = other.address.city ? ` (${other.address.city})` : '';
          const itself = other.id === item.id ? ` — ${wt(lang, 'thisInitiative')}` : '';
          return h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'l-to', id, value: other.id, 'aria-describedby': 'l-search-error' }), h('label', { for: id }, `${other.name}${place}${itself}`));
        }),
      );
      results.hidden = found.length === 0;
      status.textContent = found.length ? wt(lang, 'linkFound', { n: found.length }) : wt(lang, 'linkNotFound', { q });
    } catch (e) {
      if (mine === asked) status.textContent = wt(lang, 'failed', { detail: e instanceof Error ? e.message : String(e) });
    }
  };
  search.input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void find(search.input.value.trim()), 200);
  });
  search.wrap.append(status);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, wt(lang, 'addLink'));
  const form = h(
    'form',
    { class: 'form ws-link-form', novalidate: true, 'aria-labelledby': 'ws-add-link-title' },
    h('h2', { id: 'ws-add-link-title' }, wt(lang, 'addLinkTitle')),
    summary,
    kind.wrap,
    search.wrap,
    results,
    note.wrap,
    h('div', { class: 'field-row' }, since.wrap, until.wrap),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const to = results.querySelector<HTMLInputElement>('input[name="l-to"]:checked')?.value ?? '';
    const body: Record<string, string> = { to, kind: kind.input.value };
    if (note.input.value.trim()) body.note = note.input.value.trim();
    if (since.input.value) body.since = since.input.value;
    if (until.input.value) body.until = until.input.value;
    submit.disabled = true;
    api
      .send('POST', `/api/v1/initiatives/${encodeURIComponent(item.id)}/links`, body)
      .then(async () => {
        ctx.notices.show('links', wt(lang, 'linkAdded'), 'info');
        await added();
      })
      .catch((error: unknown) => showProblem(lang, form, summary, error))
      .finally(() => (submit.disabled = false));
  });
  return form;
}

export async function showLinks(ctx: Context, main: HTMLElement, key: string): Promise<void> {
  const { lang, api } = ctx;
  const path = `/api/v1/initiatives/${encodeURIComponent(key)}`;
  let item: Initiative;
  let links: LinkView[];
  try {
    [item, links] = await Promise.all([api.get<Initiative>(path), api.get<{ links: LinkView[] }>(`${path}/links`).then((r) => r.links)]);
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showLinks(ctx, main, key)));
    return;
  }
  const editable = may(ctx.session, 'editor');
  const again = (): Promise<void> => showLinks(ctx, main, item.id);
  const list = h(
    'section',
    { class: 'ws-panel', 'aria-labelledby': 'ws-links-title' },
    h('h2', { id: 'ws-links-title' }, wt(lang, 'linksTitle', { n: links.length })),
    links.length ? h('ul', { class: 'ws-list ws-links' }, ...links.map((l) => linkItem(ctx, l, editable, again, item.id))) : h('p', { class: 'muted' }, wt(lang, 'noLink')),
  );
  main.replaceChildren(
    heading(wt(lang, 'linksOf', { name: item.name })),
    initiativeTabs(ctx, item.id, 'links'),
    list,
    editable ? h('section', { class: 'ws-panel' }, addForm(ctx, item, again)) : h('p', { class: 'help', role: 'note' }, wt(lang, 'linksReadOnly')),
  );
}
