// To check: published initiatives nobody has confirmed for a year, oldest first; "Still active"
// confirms one in a click (its `last_confirmed_at` becomes now).

import type { Schema } from '../api';
import { h } from '../dom';
import { wt } from './strings';
import { busy, button, dayText, heading, loadFailed, type Context } from './ui';

type ToCheck = Schema<'ToCheck'>;

export async function showToCheck(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  let items: ToCheck[];
  try {
    items = (await api.get<Schema<'ToCheckList'>>('/api/v1/to-check')).initiatives;
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showToCheck(ctx, main)));
    return;
  }
  const list = h('ul', { class: 'ws-list ws-panel' });
  for (const item of items) {
    const confirm = button(wt(lang, 'stillActive'), 'btn btn-small btn-primary', { 'aria-label': `${wt(lang, 'stillActive')} : ${item.name}` });
    const edit = button(wt(lang, 'edit'), 'btn btn-small', { 'aria-label': `${wt(lang, 'edit')} : ${item.name}` });
    edit.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${item.id}`));
    const row = h(
      'li',
      { class: 'ws-item' },
      h(
        'div',
        {},
        h('strong', {}, item.name),
        item.city ? ` — ${item.city}` : '',
        h('p', { class: 'muted' }, item.last_confirmed_at ? wt(lang, 'lastConfirmed', { date: dayText(lang, item.last_confirmed_at) }) : wt(lang, 'neverConfirmed', { date: dayText(lang, item.created_at) })),
      ),
      h('div', { class: 'button-row' }, confirm, edit),
    );
    confirm.addEventListener('click', () =>
      void busy(ctx, confirm, async () => {
        await api.send('PATCH', `/api/v1/initiatives/${item.id}`, { last_confirmed_at: new Date().toISOString(), reason: wt(lang, 'stillActive') });
        ctx.notices.show('to-check', wt(lang, 'confirmed', { name: item.name }), 'info');
        row.remove();
        ctx.refreshCounts();
      }),
    );
    list.append(row);
  }
  main.replaceChildren(heading(wt(lang, 'toCheck')), h('p', { class: 'help' }, wt(lang, 'toCheckIntro')), items.length ? list : h('p', { role: 'status' }, wt(lang, 'toCheckEmpty')));
}
