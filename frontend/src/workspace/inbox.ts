// Inbox: what visitors sent, oldest first — suggestions of new initiatives (publish or reject
// with a reason) and correction reports (correct the entry, or close).

import type { Initiative, Schema } from '../api';
import { h } from '../dom';
import { miniMap } from './mini-map';
import { may } from './session';
import { wt } from './strings';
import { busy, button, dateText, field, heading, loadFailed, type Context } from './ui';

type Suggestion = Schema<'PendingSuggestion'>;
type Report = Schema<'Report'>;

export async function showInbox(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  let suggestions: Suggestion[];
  let reports: Report[];
  try {
    [suggestions, reports] = await Promise.all([
      api.get<Schema<'SuggestionList'>>('/api/v1/suggestions').then((r) => r.suggestions),
      api.get<Schema<'ReportList'>>('/api/v1/reports').then((r) => r.reports),
    ]);
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showInbox(ctx, main)));
    return;
  }
  const detail = h('div', { class: 'ws-detail', 'aria-live': 'polite' });
  const suggestionItems = suggestions.map((s) => {
    const open = button(wt(lang, 'open'), 'btn btn-small', { 'aria-label': `${wt(lang, 'open')} « ${s.name} »` });
    open.addEventListener('click', () => void openSuggestion(ctx, detail, s, () => void showInbox(ctx, main)));
    return h(
      'li',
      { class: 'ws-item' },
      h('div', {}, h('strong', {}, s.name), h('p', { class: 'muted' }, wt(lang, 'suggestedOn', { date: dateText(lang, s.created_at) }), s.submitter_email ? ` ${wt(lang, 'by', { email: s.submitter_email })}` : '')),
      open,
    );
  });
  const reportItems = reports.map((r) => {
    const correct = button(wt(lang, 'apply'), 'btn btn-small');
    correct.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${r.initiative_id}`));
    const close = button(wt(lang, 'closeReport'), 'btn btn-small');
    close.addEventListener('click', () =>
      void busy(ctx, close, async () => {
        await api.send('PATCH', `/api/v1/reports/${r.id}`, { status: 'resolved' });
        ctx.notices.show('inbox', wt(lang, 'reportClosed'), 'info');
        ctx.refreshCounts();
        await showInbox(ctx, main);
      }),
    );
    return h(
      'li',
      { class: 'ws-item' },
      h(
        'div',
        {},
        h('strong', {}, wt(lang, 'reportAbout', { name: r.initiative_name })),
        h('blockquote', { class: 'ws-quote' }, r.message),
        h('p', { class: 'muted' }, wt(lang, 'reportedOn', { date: dateText(lang, r.created_at) }), r.contact_email ? ` ${wt(lang, 'by', { email: r.contact_email })}` : ''),
      ),
      h('div', { class: 'button-row' }, may(ctx.session, 'editor') ? correct : null, close),
    );
  });
  const empty = !suggestions.length && !reports.length;
  main.replaceChildren(
    heading(wt(lang, 'inbox')),
    h('p', { role: 'status' }, empty ? wt(lang, 'inboxEmpty') : ''),
    h(
      'div',
      { class: 'ws-columns' },
      h(
        'div',
        {},
        suggestions.length ? h('section', { class: 'ws-panel', 'aria-labelledby': 'inbox-suggestions' }, h('h2', { id: 'inbox-suggestions' }, `${wt(lang, 'suggestions')} (${suggestions.length})`), h('ul', { class: 'ws-list' }, ...suggestionItems)) : null,
        reports.length ? h('section', { class: 'ws-panel', 'aria-labelledby': 'inbox-reports' }, h('h2', { id: 'inbox-reports' }, `${wt(lang, 'reports')} (${reports.length})`), h('ul', { class: 'ws-list' }, ...reportItems)) : null,
      ),
      detail,
    ),
  );
}

function describe(ctx: Context, item: Initiative): HTMLElement {
  const { lang } = ctx;
  const address = [item.address.street, [item.address.postcode, item.address.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const rows: [string, string | null][] = [
    [wt(lang, 'fDescription'), item.description || null],
    [wt(lang, 'fCategories'), item.categories.join(', ') || null],
    [wt(lang, 'fCity'), address || null],
    [wt(lang, 'fWebsite'), item.contact.website],
    [wt(lang, 'fEmail'), item.contact.email],
    [wt(lang, 'fPhone'), item.contact.phone],
    [wt(lang, 'fHours'), item.opening_hours],
  ];
  return h('dl', { class: 'ws-facts' }, ...rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function openSuggestion(ctx: Context, detail: HTMLElement, s: Suggestion, done: () => void): Promise<void> {
  const { lang, api } = ctx;
  let item: Initiative;
  try {
    item = await api.get<Initiative>(`/api/v1/initiatives/${s.initiative_id}`);
  } catch (e) {
    detail.replaceChildren(loadFailed(ctx, e, () => void openSuggestion(ctx, detail, s, done)));
    return;
  }
  const reason = field(lang, 'reject-reason', 'rejectReason', h('input', { type: 'text', maxlength: 500 }), ['/reason'], wt(lang, 'rejectReasonHelp'));
  const publish = button(wt(lang, 'publish'), 'btn btn-primary');
  const reject = button(wt(lang, 'reject'));
  const moderate = (state: 'published' | 'rejected', btn: HTMLButtonElement): void =>
    void busy(ctx, btn, async () => {
      const body: Record<string, string> = { moderation: state };
      if (reason.input.value.trim()) body.reason = reason.input.value.trim();
      await api.send('PATCH', `/api/v1/initiatives/${item.id}`, body);
      ctx.notices.show('inbox', wt(lang, state === 'published' ? 'published' : 'rejected', { name: item.name }), 'info');
      ctx.refreshCounts();
      done();
    });
  publish.addEventListener('click', () => moderate('published', publish));
  reject.addEventListener('click', () => moderate('rejected', reject));
  const edit = button(wt(lang, 'edit'), 'btn');
  edit.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${item.id}`));
  const map = miniMap(lang, wt(lang, 'mapView'), [{ lon: item.point.lon, lat: item.point.lat, label: item.name }]);
  detail.replaceChildren(
    h(
      'section',
      { class: 'ws-panel', 'aria-labelledby': 'suggestion-title' },
      h('h2', { id: 'suggestion-title', tabindex: '-1' }, item.name),
      h('p', { class: 'muted' }, wt(lang, 'visitorWrote')),
      describe(ctx, item),
      map.element,
      reason.wrap,
      h('div', { class: 'button-row' }, publish, reject, may(ctx.session, 'editor') ? edit : null),
    ),
  );
  detail.querySelector<HTMLElement>('#suggestion-title')?.focus();
}
