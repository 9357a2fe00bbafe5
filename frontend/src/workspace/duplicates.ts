// Duplicates: pairs that may be the same place, with their score explained (distance, name
// similarity, shared contacts), side by side on a map; Merge (keeping one) or Not a duplicate.

import type { Initiative, Schema } from '../api';
import { h } from '../dom';
import { miniMap } from './mini-map';
import { wt, wtValue, type WsKey } from './strings';
import { busy, button, heading, loadFailed, type Context } from './ui';

type Candidate = Schema<'DuplicateCandidate'>;

function reasons(ctx: Context, c: Candidate): string {
  const { lang } = ctx;
  return [
    c.distance_m !== null ? wt(lang, 'distance', { n: Math.round(c.distance_m) }) : null,
    c.name_similarity !== null ? wt(lang, 'similarity', { n: Math.round(c.name_similarity * 100) }) : null,
    c.shared_contacts.length ? wt(lang, 'shared', { list: c.shared_contacts.map((k) => wtValue(lang, 'contact', k)).join(', ') }) : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

export async function showDuplicates(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  let candidates: Candidate[];
  try {
    candidates = (await api.get<Schema<'DuplicateList'>>('/api/v1/duplicates')).duplicates;
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

/** The groups of values a merge can take from either side (the API's `fields`), in page order. */
const GROUPS = ['description', 'location', 'address', 'website', 'email', 'phone', 'links', 'opening_hours', 'tags', 'categories'] as const;
type Group = (typeof GROUPS)[number];
type Side = 'a' | 'b';

const GROUP_LABEL: Record<Group, WsKey> = {
  description: 'fDescription',
  location: 'fLocation',
  address: 'fAddress',
  website: 'fWebsite',
  email: 'fEmail',
  phone: 'fPhone',
  links: 'fLinks',
  opening_hours: 'fHours',
  tags: 'fTags',
  categories: 'fCategories',
};

/** What a group holds on one side, as text (empty when there is nothing). */
function groupValue(ctx: Context, item: Initiative, group: Group): string {
  switch (group) {
    case 'description':
      return item.description.trim();
    case 'location': {
      const area = item.geometry.type !== 'Point' ? ` (${wt(ctx.lang, 'area')})` : '';
      return `${item.point.lat.toFixed(5)}, ${item.point.lon.toFixed(5)}${area}`;
    }
    case 'address':
      return [item.address.street, [item.address.postcode, item.address.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
    case 'website':
      return item.contact.website ?? '';
    case 'email':
      return item.contact.email ?? '';
    case 'phone':
      return item.contact.phone ?? '';
    case 'links':
      return item.contact.links.join(', ');
    case 'opening_hours':
      return item.opening_hours ?? '';
    case 'tags':
      return item.tags.join(', ');
    case 'categories':
      return item.categories.join(', ');
  }
}

function sideSummary(ctx: Context, item: Initiative, source: string | null, side: Side): HTMLElement {
  const { lang } = ctx;
  return h(
    'div',
    { class: `ws-side ws-side-${side}` },
    h('h3', {}, h('span', { class: `ws-dot ws-dot-${side}`, 'aria-hidden': 'true' }), item.name),
    h('p', { class: 'muted' }, source ? wt(lang, 'source', { source }) : wt(lang, 'ownEntry')),
    h('p', { class: 'muted' }, wt(lang, 'publicAddress', { slug: item.slug })),
  );
}

/** Why the pair was proposed, one reason a line. */
function explained(ctx: Context, c: Candidate): HTMLElement {
  const { lang } = ctx;
  const items = [
    c.distance_m !== null ? wt(lang, 'distance', { n: Math.round(c.distance_m) }) : null,
    c.name_similarity !== null ? wt(lang, 'similarity', { n: Math.round(c.name_similarity * 100) }) : null,
    c.shared_contacts.length ? wt(lang, 'shared', { list: c.shared_contacts.map((k) => wtValue(lang, 'contact', k)).join(', ') }) : wt(lang, 'sharedNone'),
  ].filter((x): x is string => Boolean(x));
  return h('ul', { class: 'ws-reasons', 'aria-label': wt(lang, 'whyProposed') }, ...items.map((r) => h('li', {}, r)));
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
  const items: Record<Side, Initiative> = { a, b };
  const keepA = h('input', { type: 'radio', name: 'keep', id: 'keep-a', value: 'a', checked: true });
  const keepB = h('input', { type: 'radio', name: 'keep', id: 'keep-b', value: 'b' });
  const kept = (): Side => (keepB.checked ? 'b' : 'a');
  const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

  // One radio group per field that differs: the value of either side, the kept side's by default
  // (the other's when the kept one has none).
  const picks = new Map<Group, Record<Side, HTMLInputElement>>();
  const groups = GROUPS.map((group) => {
    const values: Record<Side, string> = { a: groupValue(ctx, a, group), b: groupValue(ctx, b, group) };
    const legend = h('legend', {}, wt(lang, GROUP_LABEL[group]));
    if (values.a === values.b) {
      return h('fieldset', { class: 'ws-pick ws-pick-same' }, legend, h('p', { class: 'muted' }, values.a ? wt(lang, 'sameValue', { value: values.a }) : wt(lang, 'bothEmpty')));
    }
    const radios = {} as Record<Side, HTMLInputElement>;
    const choices = (['a', 'b'] as const).map((side) => {
      const id = `pick-${group}-${side}`;
      const radio = h('input', { type: 'radio', name: `pick-${group}`, id, value: side });
      radios[side] = radio;
      return h(
        'div',
        { class: `choice ws-pick-${side}` },
        radio,
        h('label', { for: id }, h('span', { class: 'ws-pick-value' }, values[side] || wt(lang, 'empty')), ' ', h('span', { class: 'muted' }, wt(lang, 'fromItem', { name: items[side].name }))),
      );
    });
    picks.set(group, radios);
    return h('fieldset', { class: 'ws-pick', 'data-group': group, 'data-empty-a': values.a ? null : 'true', 'data-empty-b': values.b ? null : 'true' }, legend, h('div', { class: 'ws-pick-options' }, ...choices));
  });
  const defaults = (): void => {
    const keep = kept();
    for (const [group, radios] of picks) {
      const emptyKept = groups.find((g) => g.dataset.group === group)?.dataset[keep === 'a' ? 'emptyA' : 'emptyB'] === 'true';
      radios[emptyKept ? other(keep) : keep].checked = true;
    }
  };
  defaults();
  const summary = h('p', { class: 'ws-merge-summary', 'aria-live': 'polite' });
  const describe = (): void => {
    const keep = kept();
    summary.textContent = wt(lang, 'mergeSummary', { kept: items[keep].name, gone: items[other(keep)].name });
  };
  describe();
  for (const radio of [keepA, keepB]) radio.addEventListener('change', () => (defaults(), describe()));

  const reason = h('input', { type: 'text', id: 'merge-reason', maxlength: 500 });
  const merge = button(wt(lang, 'merge'), 'btn btn-primary');
  merge.addEventListener('click', () =>
    void busy(ctx, merge, async () => {
      const keep = kept();
      const [into, gone] = [items[keep], items[other(keep)]];
      const fields: Partial<Record<Group, 'kept' | 'merged'>> = {};
      for (const [group, radios] of picks) fields[group] = radios[keep].checked ? 'kept' : 'merged';
      const body: Record<string, unknown> = { into: into.id, fields };
      if (reason.value.trim()) body.reason = reason.value.trim();
      await api.send('POST', `/api/v1/initiatives/${encodeURIComponent(gone.id)}/merge`, body);
      ctx.notices.show('duplicates', wt(lang, 'merged', { name: into.name }), 'info');
      ctx.refreshCounts();
      ctx.navigate(`/workspace/initiatives/${into.id}`);
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
      h('h2', { id: 'pair-title', tabindex: '-1' }, `${a.name} ↔ ${b.name}`),
      h('p', {}, wt(lang, 'score', { score: c.score.toFixed(2) })),
      explained(ctx, c),
      h('div', { class: 'ws-pair' }, sideSummary(ctx, a, c.a_source, 'a'), sideSummary(ctx, b, c.b_source, 'b')),
      map.element,
      h(
        'fieldset',
        { class: 'field ws-keep' },
        h('legend', {}, wt(lang, 'mergeLegend')),
        h('p', { class: 'help' }, wt(lang, 'mergeHelp')),
        h('div', { class: 'choice' }, keepA, h('label', { for: 'keep-a' }, wt(lang, 'mergeInto', { name: a.name }))),
        h('div', { class: 'choice' }, keepB, h('label', { for: 'keep-b' }, wt(lang, 'mergeInto', { name: b.name }))),
      ),
      h('h3', {}, wt(lang, 'mergeValues')),
      h('p', { class: 'help' }, wt(lang, 'mergeValuesHelp')),
      h('div', { class: 'ws-picks' }, ...groups),
      h('div', { class: 'field' }, h('label', { for: 'merge-reason' }, wt(lang, 'fReason')), reason),
      summary,
      h('div', { class: 'button-row' }, merge, dismiss),
    ),
  );
  detail.querySelector<HTMLElement>('#pair-title')?.focus();
}
