// Duplicates: pairs that may be the same place, with their score explained (distance, name
// similarity, shared contacts), side by side on a map; Merge (keeping one) or Not a duplicate.

import type { Initiative } from '../api';
import { h } from '../dom';
import { miniMap } from './mini-map';
import { wt } from './strings';
import { busy, button, heading, loadFailed, type Context } from './ui';

interface Candidate {
  id: number;
  score: number;
  distance_m: number | null;
  name_similarity: number | null;
  shared_contacts: string[];
  a_id: string;
  a_name: string;
  a_source: string | null;
  b_id: string;
  b_name: string;
  b_source: string | null;
}

function reasons(ctx: Context, c: Candidate): string {
  const { lang } = ctx;
  return [
    c.distance_m !== null ? wt(lang, 'distance', { n: Math.round(c.distance_m) }) : null,
    c.name_similarity !== null ? wt(lang, 'similarity', { n: Math.round(c.name_similarity * 100) }) : null,
    c.shared_contacts.length ? wt(lang, 'shared', { list: c.shared_contacts.join(', ') }) : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

export async function showDuplicates(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  let candidates: Candidate[];
  try {
    candidates = (await api.get<{ duplicates: Candidate[] }>('/api/v1/duplicates')).duplicates;
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showDuplicates(ctx, main)));
    return;
  }
  const detail = h('div', { class: 'ws-detail' });
  const items = candidates.map((c) => {
    const open = button(wt(lang, 'open'), 'btn btn-small', { 'aria-label': `${wt(lang, 'open')} « ${c.a_name} » / « ${c.b_name} »` });
    open.addEventListener('click', () => void openPair(ctx, detail, c, () => void showDuplicates(ctx, main)));
    return h(
      'li',
      { class: 'ws-item' },
      h('div', {}, h('strong', {}, `${c.a_name} ↔ ${c.b_name}`), h('p', { class: 'muted' }, `${wt(lang, 'score', { score: c.score.toFixed(2) })} — ${reasons(ctx, c)}`)),
      open,
    );
  });
  main.replaceChildren(
    heading(wt(lang, 'duplicates')),
    candidates.length
      ? h('div', { class: 'ws-columns' }, h('ul', { class: 'ws-list ws-panel' }, ...items), detail)
      : h('p', { role: 'status' }, wt(lang, 'duplicatesEmpty')),
  );
}

function column(ctx: Context, item: Initiative, source: string | null): HTMLElement {
  const { lang } = ctx;
  const rows: [string, string | null][] = [
    [wt(lang, 'fCity'), [item.address.street, item.address.postcode, item.address.city].filter(Boolean).join(', ') || null],
    [wt(lang, 'fWebsite'), item.contact.website],
    [wt(lang, 'fEmail'), item.contact.email],
    [wt(lang, 'fPhone'), item.contact.phone],
    [wt(lang, 'fHours'), item.opening_hours],
    [wt(lang, 'fCategories'), item.categories.join(', ') || null],
  ];
  return h(
    'div',
    { class: 'ws-side' },
    h('h3', {}, item.name),
    h('p', { class: 'muted' }, source ? wt(lang, 'source', { source }) : wt(lang, 'ownEntry')),
    h('dl', { class: 'ws-facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')])),
  );
}

async function openPair(ctx: Context, detail: HTMLElement, c: Candidate, done: () => void): Promise<void> {
  const { lang, api } = ctx;
  let a: Initiative;
  let b: Initiative;
  try {
    [a, b] = await Promise.all([api.get<Initiative>(`/api/v1/initiatives/${c.a_id}`), api.get<Initiative>(`/api/v1/initiatives/${c.b_id}`)]);
  } catch (e) {
    detail.replaceChildren(loadFailed(ctx, e, () => void openPair(ctx, detail, c, done)));
    return;
  }
  const keepA = h('input', { type: 'radio', name: 'keep', id: 'keep-a', value: 'a', checked: true });
  const keepB = h('input', { type: 'radio', name: 'keep', id: 'keep-b', value: 'b' });
  const merge = button(wt(lang, 'merge'), 'btn btn-primary');
  merge.addEventListener('click', () =>
    void busy(ctx, merge, async () => {
      const [kept, gone] = keepB.checked ? [b, a] : [a, b];
      await api.send('POST', `/api/v1/initiatives/${gone.id}/merge`, { into: kept.id });
      ctx.notices.show('duplicates', wt(lang, 'merged', { name: kept.name }), 'info');
      ctx.refreshCounts();
      ctx.navigate(`/workspace/initiatives/${kept.id}`);
    }),
  );
  const dismiss = button(wt(lang, 'notDuplicate'));
  dismiss.addEventListener('click', () =>
    void busy(ctx, dismiss, async () => {
      await api.send('PATCH', `/api/v1/duplicates/${c.id}`, { status: 'dismissed' });
      ctx.notices.show('duplicates', wt(lang, 'dismissed'), 'info');
      ctx.refreshCounts();
      done();
    }),
  );
  const map = miniMap(lang, wt(lang, 'mapView'), [
    { lon: a.point.lon, lat: a.point.lat, label: a.name },
    { lon: b.point.lon, lat: b.point.lat, label: b.name },
  ]);
  detail.replaceChildren(
    h(
      'section',
      { class: 'ws-panel', 'aria-labelledby': 'pair-title' },
      h('h2', { id: 'pair-title', tabindex: '-1' }, `${wt(lang, 'score', { score: c.score.toFixed(2) })} — ${reasons(ctx, c)}`),
      h('div', { class: 'ws-pair' }, column(ctx, a, c.a_source), column(ctx, b, c.b_source)),
      map.element,
      h(
        'fieldset',
        { class: 'field' },
        h('legend', {}, wt(lang, 'mergeLegend')),
        h('div', { class: 'choice' }, keepA, h('label', { for: 'keep-a' }, wt(lang, 'mergeInto', { name: a.name }))),
        h('div', { class: 'choice' }, keepB, h('label', { for: 'keep-b' }, wt(lang, 'mergeInto', { name: b.name }))),
      ),
      h('div', { class: 'button-row' }, merge, dismiss),
    ),
  );
  detail.querySelector<HTMLElement>('#pair-title')?.focus();
}
