// Users (administrators): the people with accounts; invite one (a link to hand over), change a
// role or territories, disable or enable, make a new invitation or reset link.

import type { Schema } from '../api';
import { h } from '../dom';
import { may } from './session';
import { wt, wtValue } from './strings';
import { busy, button, dateText, field, heading, loadFailed, showProblem, type Context } from './ui';

type Account = Schema<'Account'>;
type AccountLink = Schema<'AccountLink'>;

const ROLES = ['moderator', 'editor', 'admin'];

function codes(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function showUsers(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  if (!may(ctx.session, 'admin')) {
    main.replaceChildren(heading(wt(lang, 'users')), h('p', {}, wt(lang, 'adminOnly')));
    return;
  }
  let users: Account[];
  try {
    users = (await api.get<Schema<'AccountList'>>('/api/v1/users')).users;
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showUsers(ctx, main)));
    return;
  }
  const reload = (): void => void showUsers(ctx, main);
  const linkBox = h('div', { class: 'ws-link', role: 'status', 'aria-live': 'polite' });
  const showLink = (intro: string, url: string): void => {
    linkBox.replaceChildren(h('p', {}, intro), h('input', { type: 'text', readonly: true, value: url, 'aria-label': intro, class: 'ws-link-url' }));
  };

  const roleSelect = (id: string, current: string): HTMLSelectElement =>
    h('select', { id }, ...ROLES.map((r) => h('option', { value: r, selected: r === current }, wtValue(lang, 'role', r))));

  const rows = users.map((u) => {
    const role = roleSelect(`role-${u.id}`, u.role);
    const territories = h('input', { type: 'text', id: `territories-${u.id}`, value: u.territories.join(', ') });
    const save = button(wt(lang, 'saveRole'), 'btn btn-small');
    save.addEventListener('click', () =>
      void busy(ctx, save, async () => {
        await api.send('PATCH', `/api/v1/users/${u.id}`, { role: role.value, territories: codes(territories.value) });
        ctx.notices.show('users', wt(lang, 'userSaved'), 'info');
        reload();
      }),
    );
    const toggle = button(wt(lang, u.active ? 'disable' : 'enable'), 'btn btn-small');
    toggle.addEventListener('click', () =>
      void busy(ctx, toggle, async () => {
        await api.send('PATCH', `/api/v1/users/${u.id}`, { active: !u.active });
        ctx.notices.show('users', wt(lang, 'userSaved'), 'info');
        reload();
      }),
    );
    const link = button(wt(lang, 'newLink'), 'btn btn-small');
    link.addEventListener('click', () =>
      void busy(ctx, link, async () => {
        const made = await api.send<AccountLink>('POST', `/api/v1/users/${u.id}/link`);
        showLink(wt(lang, 'linkFor', { name: u.name }), made.url);
      }),
    );
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, u.name, h('br'), h('span', { class: 'muted' }, u.email), u.active ? null : h('span', { class: 'badge badge-warning' }, wt(lang, 'disabled'))),
      h('td', {}, h('label', { for: `role-${u.id}`, class: 'visually-hidden' }, `${wt(lang, 'fRole')} : ${u.name}`), role),
      h('td', {}, h('label', { for: `territories-${u.id}`, class: 'visually-hidden' }, `${wt(lang, 'fTerritories')} : ${u.name}`), territories),
      h('td', {}, u.last_login_at ? wt(lang, 'lastLogin', { date: dateText(lang, u.last_login_at) }) : wt(lang, 'neverLoggedIn')),
      h('td', {}, h('div', { class: 'button-row' }, save, toggle, u.active ? link : null)),
    );
  });

  const email = field(lang, 'invite-email', 'email', h('input', { type: 'email', autocomplete: 'off' }), ['/email']);
  const name = field(lang, 'invite-name', 'fDisplayName', h('input', { type: 'text' }), ['/name']);
  const role = field(lang, 'invite-role', 'fRole', roleSelect('invite-role', 'editor'), ['/role']);
  const territories = field(lang, 'invite-territories', 'fTerritories', h('input', { type: 'text' }), ['/territories']);
  const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, wt(lang, 'invite'));
  const form = h('form', { class: 'form', novalidate: true }, summary, h('div', { class: 'field-row' }, email.wrap, name.wrap), h('div', { class: 'field-row' }, role.wrap, territories.wrap), h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    api
      .send<AccountLink>('POST', '/api/v1/users', { email: email.input.value.trim(), name: name.input.value.trim(), role: role.input.value, territories: codes(territories.input.value) })
      .then(async (made) => {
        await showUsers(ctx, main);
        const box = main.querySelector('.ws-link');
        if (box) {
          box.replaceChildren(h('p', {}, wt(lang, 'invited')), h('input', { type: 'text', readonly: true, value: made.url, 'aria-label': wt(lang, 'invited'), class: 'ws-link-url' }));
        }
      })
      .catch((error: unknown) => showProblem(lang, form, summary, error))
      .finally(() => (submit.disabled = false));
  });

  main.replaceChildren(
    heading(wt(lang, 'users')),
    h('p', { class: 'help' }, wt(lang, 'usersIntro')),
    linkBox,
    h(
      'div',
      { class: 'ws-table-wrap' },
      h(
        'table',
        { class: 'ws-users' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, wt(lang, 'fDisplayName')), h('th', { scope: 'col' }, wt(lang, 'fRole')), h('th', { scope: 'col' }, wt(lang, 'fTerritories')), h('th', { scope: 'col' }, wt(lang, 'lastLogin', { date: '' }).replace(/[:\s]+$/, '')), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, ...rows),
      ),
    ),
    h('section', { class: 'ws-panel', 'aria-labelledby': 'invite-title' }, h('h2', { id: 'invite-title' }, wt(lang, 'inviteTitle')), form),
  );
}
