// Editing an initiative (or creating one): every field, the API's validation messages inline,
// the place picked on the map, categories, opening hours with a live preview, archive. And its
// history: who changed what, when and why, field by field, with "Restore this version".

import { ApiError, categoryName, getCategories, type Category, type Initiative, type Schema } from '../api';
import { statusSentence } from '../card';
import { h } from '../dom';
import { openingStatus, parseOpeningHours } from '../opening-hours';
import { areaEditor } from './area';
import { miniMap } from './mini-map';
import { may } from './session';
import { wt, wtValue } from './strings';
import { busy, button, dateText, field, heading, loadFailed, showProblem, type Context } from './ui';

type Doc = Record<string, unknown>;

function text(value: string): string | null {
  const v = value.trim();
  return v ? v : null;
}

export async function showEditor(ctx: Context, main: HTMLElement, key: string | null): Promise<void> {
  const { lang, api } = ctx;
  let item: Initiative | null = null;
  let etag: string | null = null;
  let categories: Category[];
  try {
    let read: { body: Initiative; etag: string | null } | null;
    [read, categories] = await Promise.all([key ? api.getTagged<Initiative>(`/api/v1/initiatives/${encodeURIComponent(key)}`) : Promise.resolve(null), getCategories(lang)]);
    item = read?.body ?? null;
    etag = read?.etag ?? null;
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showEditor(ctx, main, key)));
    return;
  }
  const editable = may(ctx.session, 'editor');
  const input = (type: string, value: string | null | undefined, attrs: Record<string, string> = {}): HTMLInputElement =>
    h('input', { type, value: value ?? '', ...attrs, disabled: !editable });
  const name = field(lang, 'f-name', 'fName', input('text', item?.name, { maxlength: '200', required: 'required' }), ['/name']);
  const description = field(lang, 'f-description', 'fDescription', h('textarea', { rows: 4, disabled: !editable }), ['/description']);
  description.input.value = item?.description ?? '';
  const street = field(lang, 'f-street', 'fStreet', input('text', item?.address.street), ['/address/street']);
  const postcode = field(lang, 'f-postcode', 'fPostcode', input('text', item?.address.postcode), ['/address/postcode']);
  const city = field(lang, 'f-city', 'fCity', input('text', item?.address.city), ['/address/city', '/address/insee_code', '/address/country_code']);
  const website = field(lang, 'f-website', 'fWebsite', input('url', item?.contact.website), ['/contact/website', '/contact/links']);
  const email = field(lang, 'f-email', 'fEmail', input('email', item?.contact.email), ['/contact/email']);
  const phone = field(lang, 'f-phone', 'fPhone', input('tel', item?.contact.phone), ['/contact/phone']);
  const hours = field(lang, 'f-hours', 'fHours', input('text', item?.opening_hours), ['/opening_hours'], wt(lang, 'fHoursHelp'));
  const preview = h('p', { class: 'hours-preview', id: 'f-hours-preview', 'aria-live': 'polite' });
  const updatePreview = (): void => {
    const raw = hours.input.value.trim();
    if (!raw) return void (preview.textContent = '');
    const sentence = statusSentence(lang, openingStatus(parseOpeningHours(raw), new Date()));
    preview.textContent = sentence ? wt(lang, 'hoursPreview', { status: sentence.text }) : wt(lang, 'hoursInvalid');
  };
  hours.input.addEventListener('input', updatePreview);
  updatePreview();
  hours.wrap.append(preview);
  const wheelchair = field(lang, 'f-wheelchair', 'fWheelchair', h('select', { disabled: !editable }, ...['', 'yes', 'limited', 'no'].map((v) => h('option', { value: v, selected: (item?.wheelchair ?? '') === v }, wtValue(lang, 'wheelchair', v || 'unknown')))), ['/wheelchair']);
  const tags = field(lang, 'f-tags', 'fTags', input('text', item?.tags.join(', ') ?? ''), ['/tags']);
  const status = field(lang, 'f-status', 'fStatus', h('select', { disabled: !editable }, ...['active', 'inactive', 'closed'].map((s) => h('option', { value: s, selected: (item?.status ?? 'active') === s }, wtValue(lang, 'status', s)))), ['/status']);
  const chosen = new Set(item?.categories ?? []);
  const categoryBoxes = h(
    'fieldset',
    { class: 'field ws-categories' },
    h('legend', {}, wt(lang, 'fCategories')),
    ...categories.map((family) =>
      h(
        'fieldset',
        { class: 'choice-group' },
        h('legend', {}, categoryName(family, lang)),
        ...[family, ...family.children].map((c) =>
          h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: `cat-${c.slug}`, value: c.slug, checked: chosen.has(c.slug), disabled: !editable }), h('label', { for: `cat-${c.slug}` }, categoryName(c, lang))),
        ),
      ),
    ),
    h('p', { class: 'field-error', id: 'f-categories-error', hidden: true, 'data-pointers': '/categories' }),
  );
  const lat = field(lang, 'f-lat', 'fLat', input('number', item ? String(item.point.lat) : '', { step: 'any', min: '-90', max: '90' }), ['/lat', '/geometry']);
  const lon = field(lang, 'f-lon', 'fLon', input('number', item ? String(item.point.lon) : '', { step: 'any', min: '-180', max: '180' }), ['/lon']);
  const area = areaEditor(lang, item?.geometry, editable);
  const initialArea = JSON.stringify(area.polygon());
  const map = miniMap(
    lang,
    wt(lang, 'mapLabel'),
    item ? [{ lon: item.point.lon, lat: item.point.lat, label: item.name }] : [],
    editable
      ? (place) => {
          lat.input.value = String(place.lat);
          lon.input.value = String(place.lon);
        }
      : undefined,
    { intercept: (place) => area.click(place) },
  );
  area.attach(map);
  for (const f of [lat, lon]) f.input.addEventListener('change', () => {
    const la = Number(lat.input.value);
    const lo = Number(lon.input.value);
    if (lat.input.value && lon.input.value && Number.isFinite(la) && Number.isFinite(lo)) map.move({ lat: la, lon: lo });
  });
  const reason = field(lang, 'f-reason', 'fReason', input('text', '', { maxlength: '500' }), ['/reason']);
  const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });

  const document_ = (): Doc => ({
    name: name.input.value.trim(),
    description: description.input.value,
    address: { street: text(street.input.value), postcode: text(postcode.input.value), city: text(city.input.value) },
    contact: { website: text(website.input.value), email: text(email.input.value), phone: text(phone.input.value) },
    opening_hours: text(hours.input.value),
    wheelchair: text(wheelchair.input.value),
    tags: tags.input.value.split(',').map((s) => s.trim()).filter(Boolean),
    status: status.input.value,
    categories: [...categoryBoxes.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((b) => b.value),
    lat: lat.input.value === '' ? null : Number(lat.input.value),
    lon: lon.input.value === '' ? null : Number(lon.input.value),
  });
  const original = JSON.stringify(document_());
  const initial = JSON.parse(original) as Doc;

  const submit = h('button', { type: 'submit', class: 'btn btn-primary', disabled: !editable }, wt(lang, item ? 'save' : 'create'));
  const form = h(
    'form',
    { class: 'form ws-editor', novalidate: true },
    summary,
    !editable ? h('p', { class: 'help', role: 'note' }, wt(lang, 'readOnly')) : null,
    name.wrap,
    description.wrap,
    h('fieldset', { class: 'field ws-location' }, h('legend', {}, wt(lang, 'fLocation')), h('p', { class: 'help' }, wt(lang, 'fLocationHelp')), map.element, area.element, h('div', { class: 'field-row' }, lat.wrap, lon.wrap)),
    categoryBoxes,
    h('div', { class: 'field-row' }, street.wrap, postcode.wrap, city.wrap),
    h('div', { class: 'field-row' }, website.wrap, email.wrap, phone.wrap),
    hours.wrap,
    wheelchair.wrap,
    h('div', { class: 'field-row' }, tags.wrap, status.wrap),
    reason.wrap,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const doc = document_();
    let body: Doc;
    if (item) {
      // Only what changed: a point is sent only when moved (an area stays an area otherwise).
      body = Object.fromEntries(Object.entries(doc).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(initial[k])));
      if ('lat' in body || 'lon' in body) Object.assign(body, { lat: doc.lat, lon: doc.lon });
    } else body = doc;
    // An area is sent as the geometry (the API places the point inside it), when new or redrawn;
    // back to a point, the point is sent.
    if (area.isArea()) {
      const polygon = area.polygon();
      if (!polygon) {
        showProblem(lang, form, summary, new ApiError({ status: 422, detail: wt(lang, 'areaNotClosed') }));
        return;
      }
      delete body.lat;
      delete body.lon;
      if (!item || JSON.stringify(polygon) !== initialArea) body.geometry = polygon;
    } else if (item && initialArea !== 'null') Object.assign(body, { lat: doc.lat, lon: doc.lon });
    if (text(reason.input.value)) body.reason = text(reason.input.value);
    submit.disabled = true;
    // The version read goes back as If-Match: a newer one (someone else's save) answers 412.
    const write = item
      ? api.send<Initiative>('PATCH', `/api/v1/initiatives/${item.id}`, body, etag ? { 'If-Match': etag } : {})
      : api.send<Initiative>('POST', '/api/v1/initiatives', body);
    write
      .then((saved) => {
        ctx.notices.show('editor', wt(lang, item ? 'saved' : 'created'), 'info');
        ctx.navigate(`/workspace/initiatives/${saved.id}`);
      })
      .catch((error: unknown) => {
        if (item && error instanceof ApiError && error.status === 412) {
          const current = item;
          const reload = button(wt(lang, 'reloadItem'), 'btn btn-primary');
          reload.addEventListener('click', () => void showEditor(ctx, main, current.id));
          summary.hidden = false;
          summary.replaceChildren(h('p', {}, wt(lang, 'staleEdit')), reload);
          summary.focus();
          return;
        }
        showProblem(lang, form, summary, error);
      })
      .finally(() => (submit.disabled = !editable));
  });

  const tools = h('div', { class: 'button-row' });
  if (item) {
    const current = item;
    const historyLink = button(wt(lang, 'history'));
    historyLink.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${current.id}/history`));
    tools.append(historyLink);
    if (editable) {
      const evaluate = button(wt(lang, 'evaluate'));
      evaluate.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${current.id}/evaluate`));
      tools.append(evaluate);
    }
    const links = button(wt(lang, 'links'));
    links.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${current.id}/links`));
    tools.append(links);
    if (current.moderation === 'published') tools.append(h('a', { class: 'btn', href: `/?i=${encodeURIComponent(current.slug)}` }, wt(lang, 'viewOnMap')));
    if (editable && current.moderation !== 'archived') {
      const archive = button(wt(lang, 'archive'));
      archive.addEventListener('click', () => {
        if (!window.confirm(wt(lang, 'archiveConfirm', { name: current.name }))) return;
        void busy(ctx, archive, async () => {
          await api.send('DELETE', `/api/v1/initiatives/${current.id}`);
          ctx.notices.show('editor', wt(lang, 'archived', { name: current.name }), 'info');
          await showEditor(ctx, main, current.id);
        });
      });
      tools.append(archive);
    }
  }
  main.replaceChildren(
    heading(item ? wt(lang, 'editTitle', { name: item.name }) : wt(lang, 'createTitle')),
    h('p', { class: 'muted' }, item ? wt(lang, 'moderation', { state: wtValue(lang, 'moderation', item.moderation) }) : ''),
    tools,
    h('section', { class: 'ws-panel' }, form),
  );
}

type Revision = Schema<'RevisionDoc'>;

function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : '—';
  if (typeof value === 'object') {
    const g = value as { type?: string; coordinates?: unknown };
    if (g.type === 'Point' && Array.isArray(g.coordinates)) return (g.coordinates as number[]).join(', ');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export async function showHistory(ctx: Context, main: HTMLElement, key: string): Promise<void> {
  const { lang, api } = ctx;
  let item: Initiative;
  let revisions: Revision[];
  try {
    [item, revisions] = await Promise.all([
      api.get<Initiative>(`/api/v1/initiatives/${encodeURIComponent(key)}`),
      api.get<Schema<'RevisionListDoc'>>(`/api/v1/initiatives/${encodeURIComponent(key)}/revisions`).then((r) => r.revisions),
    ]);
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showHistory(ctx, main, key)));
    return;
  }
  const back = button(wt(lang, 'edit'));
  back.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${item.id}`));
  const newest = revisions.at(-1)?.id;
  const items = [...revisions].reverse().map((r) => {
    // A revision's Feature, its properties read by name.
    const value = (doc: { geometry?: unknown; properties?: Doc } | null | undefined, f: string): unknown => (f === 'geometry' ? doc?.geometry : doc?.properties?.[f]);
    const table = r.changed.length
      ? h(
          'table',
          { class: 'ws-diff' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, wt(lang, 'field')), h('th', { scope: 'col' }, wt(lang, 'before')), h('th', { scope: 'col' }, wt(lang, 'after')))),
          h('tbody', {}, ...r.changed.map((f) => h('tr', {}, h('th', { scope: 'row' }, f), h('td', { class: 'ws-old' }, shown(value(r.before, f))), h('td', { class: 'ws-new' }, shown(value(r.after, f)))))),
        )
      : r.before
        ? h('p', { class: 'muted' }, wt(lang, 'noChange'))
        : null;
    const restore = button(wt(lang, 'restore'), 'btn btn-small', { 'aria-label': `${wt(lang, 'restore')} (${dateText(lang, r.created_at)})` });
    restore.addEventListener('click', () =>
      void busy(ctx, restore, async () => {
        const reason = encodeURIComponent(wt(lang, 'restoreReason', { date: dateText(lang, r.created_at) }));
        await api.send('POST', `/api/v1/initiatives/${item.id}/revisions/${r.id}/restore?reason=${reason}`);
        ctx.notices.show('history', wt(lang, 'restored'), 'info');
        await showHistory(ctx, main, item.id);
      }),
    );
    return h(
      'li',
      { class: 'ws-revision' },
      h('h2', {}, wt(lang, 'revisionBy', { action: wtValue(lang, 'action', r.action), author: r.author, date: dateText(lang, r.created_at) })),
      r.reason ? h('p', {}, wt(lang, 'why', { reason: r.reason })) : null,
      table,
      r.id === newest ? h('p', { class: 'muted' }, wt(lang, 'current')) : may(ctx.session, 'editor') ? restore : null,
    );
  });
  main.replaceChildren(heading(wt(lang, 'historyTitle', { name: item.name })), h('div', { class: 'button-row' }, back), h('ol', { class: 'ws-list ws-history' }, ...items));
}
