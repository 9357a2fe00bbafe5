// The visitor's contributions: "Suggest an initiative" and "Report a correction". The server
// validates; its field errors are shown next to their fields, its other problems (spam trap,
// rate limit...) above the form, and its thank-you message once it is recorded.

import { ApiError, categoryName, postJson, type Category, type Created, type Initiative } from './api';
import { h } from './dom';
import { t, type Key, type Lang } from './i18n';
import { uiIcon } from './icons';

type Control = HTMLInputElement | HTMLTextAreaElement;

interface FieldSpec {
  name: string;
  /** JSON pointers of the request body this field fills (server errors name them). */
  pointers: string[];
  label: Key;
  type?: 'text' | 'email' | 'url' | 'tel' | 'textarea';
  required?: boolean;
  help?: Key;
  autocomplete?: string;
}

/** The shared modal dialog: one at a time, focus returned to the opener when it closes. */
export class Dialog {
  private opener: HTMLElement | null = null;
  private onClosed: (() => void) | null = null;
  private suspended = false;

  constructor(private readonly dialog: HTMLDialogElement) {
    dialog.addEventListener('close', () => {
      if (this.suspended) return;
      const done = this.onClosed;
      this.onClosed = null;
      done?.();
      this.opener?.focus();
      this.opener = null;
    });
  }

  open(lang: Lang, title: string, content: HTMLElement[], onClosed?: () => void): void {
    if (this.dialog.open) this.dialog.close();
    this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.onClosed = onClosed ?? null;
    const close = h('button', { type: 'button', class: 'icon-btn dialog-close', 'aria-label': t(lang, 'close'), title: t(lang, 'close') }, uiIcon('close'));
    close.addEventListener('click', () => this.dialog.close());
    this.dialog.setAttribute('aria-labelledby', 'dialog-title');
    this.dialog.replaceChildren(h('div', { class: 'dialog-head' }, h('h2', { id: 'dialog-title' }, title), close), ...content);
    this.dialog.showModal();
    const first = this.dialog.querySelector<HTMLElement>('input:not([tabindex="-1"]):not([readonly]), textarea:not([readonly]), select');
    (first ?? close).focus();
  }

  /** Hides the dialog for a moment (to pick a place on the map) without ending it. */
  suspend(): void {
    this.suspended = true;
    this.dialog.close();
  }

  resume(focus?: HTMLElement): void {
    this.suspended = false;
    this.dialog.showModal();
    focus?.focus();
  }

  close(): void {
    this.dialog.close();
  }

  get element(): HTMLDialogElement {
    return this.dialog;
  }
}

class FormView {
  readonly form: HTMLFormElement;
  private readonly controls = new Map<string, { spec: FieldSpec; control: Control; error: HTMLElement }>();
  private readonly summary: HTMLElement;
  private readonly extraErrors = new Map<string, HTMLElement>();
  readonly honeypot: HTMLInputElement;

  constructor(
    readonly lang: Lang,
    idPrefix: string,
  ) {
    this.summary = h('div', { class: 'form-summary', role: 'alert', hidden: true });
    this.honeypot = h('input', { type: 'text', name: 'honeypot', id: `${idPrefix}-hp`, tabindex: -1, autocomplete: 'off' });
    this.form = h(
      'form',
      { class: 'form', novalidate: true, id: `${idPrefix}-form` },
      this.summary,
      // The trap: invisible to people, filled by form-filling robots.
      h('div', { class: 'hp', 'aria-hidden': 'true' }, h('label', { for: `${idPrefix}-hp` }, t(lang, 'honeypot')), this.honeypot),
    );
  }

  field(spec: FieldSpec, idPrefix: string): HTMLElement {
    const id = `${idPrefix}-${spec.name}`;
    const lang = this.lang;
    const described = [spec.help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
    const attrs = { id, name: spec.name, 'aria-describedby': described, autocomplete: spec.autocomplete ?? null, required: spec.required ?? false };
    const control: Control =
      spec.type === 'textarea' ? h('textarea', { ...attrs, rows: 4 }) : h('input', { ...attrs, type: spec.type ?? 'text' });
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    this.controls.set(spec.name, { spec, control, error });
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, t(lang, spec.label), ' ', h('span', { class: 'muted' }, t(lang, spec.required ? 'required' : 'optional'))),
      control,
      spec.help ? h('p', { class: 'help', id: `${id}-help` }, t(lang, spec.help)) : null,
      error,
    );
  }

  /** An error slot for something that is not a text field (location, categories). */
  errorSlot(name: string, pointers: string[]): HTMLElement {
    const slot = h('p', { class: 'field-error', id: `err-${name}`, hidden: true, 'data-pointers': pointers.join(' ') });
    this.extraErrors.set(name, slot);
    return slot;
  }

  value(name: string): string {
    return this.controls.get(name)?.control.value.trim() ?? '';
  }

  clearErrors(): void {
    this.summary.hidden = true;
    this.summary.replaceChildren();
    for (const { control, error } of this.controls.values()) {
      control.removeAttribute('aria-invalid');
      error.hidden = true;
      error.textContent = '';
    }
    for (const slot of this.extraErrors.values()) {
      slot.hidden = true;
      slot.textContent = '';
    }
  }

  showProblem(error: unknown): void {
    this.clearErrors();
    const lang = this.lang;
    if (!(error instanceof ApiError)) {
      this.summary.append(h('p', {}, t(lang, 'formNetwork')));
      this.summary.hidden = false;
      return;
    }
    const unplaced: string[] = [];
    let firstInvalid: HTMLElement | null = null;
    for (const fieldError of error.problem.errors ?? []) {
      // The field named exactly, else the closest enclosing one (/contact for /contact/x).
      const exact = (pointer: string): boolean => fieldError.field === pointer;
      const matches = (pointer: string): boolean => exact(pointer) || fieldError.field.startsWith(`${pointer}/`);
      const controls = [...this.controls.values()];
      const target = controls.find((c) => c.spec.pointers.some(exact)) ?? controls.find((c) => c.spec.pointers.some(matches));
      if (target) {
        target.control.setAttribute('aria-invalid', 'true');
        target.error.textContent = target.error.textContent ? `${target.error.textContent} ${fieldError.message}` : fieldError.message;
        target.error.hidden = false;
        firstInvalid ??= target.control;
        continue;
      }
      const slot = [...this.extraErrors.values()].find((s) => (s.dataset.pointers ?? '').split(' ').some(matches));
      if (slot) {
        slot.textContent = fieldError.message;
        slot.hidden = false;
        continue;
      }
      unplaced.push(fieldError.message);
    }
    this.summary.append(h('p', {}, error.problem.errors?.length ? t(lang, 'formErrors') : error.message));
    if (unplaced.length) this.summary.append(h('ul', {}, ...unplaced.map((m) => h('li', {}, m))));
    this.summary.hidden = false;
    (firstInvalid ?? this.summary).focus();
    if (!firstInvalid) this.summary.setAttribute('tabindex', '-1');
  }

  actions(onCancel: () => void): { bar: HTMLElement; submit: HTMLButtonElement } {
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t(this.lang, 'formSend'));
    const cancel = h('button', { type: 'button', class: 'btn' }, t(this.lang, 'formCancel'));
    cancel.addEventListener('click', onCancel);
    return { bar: h('div', { class: 'form-actions' }, cancel, submit), submit };
  }

  /** Sends `body`; on success replaces the form by the server's message. */
  async send(submit: HTMLButtonElement, path: string, body: Record<string, unknown>, done: HTMLButtonElement): Promise<void> {
    const lang = this.lang;
    this.clearErrors();
    submit.disabled = true;
    submit.textContent = t(lang, 'formSending');
    try {
      const created = await postJson<Created>(lang, path, body);
      const thanks = h('div', { class: 'form-done', role: 'status' }, h('p', {}, created.message));
      this.form.replaceWith(thanks, h('div', { class: 'form-actions' }, done));
      done.focus();
    } catch (e) {
      this.showProblem(e);
    } finally {
      submit.disabled = false;
      submit.textContent = t(lang, 'formSend');
    }
  }
}

function compact<T extends Record<string, unknown>>(object: T): Partial<T> | null {
  const entries = Object.entries(object).filter(([, v]) => v !== '' && v !== null && v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as Partial<T>) : null;
}

function formatCoord(n: number): string {
  return n.toFixed(5);
}

interface SuggestCtx {
  lang: Lang;
  dialog: Dialog;
  categories: readonly Category[];
  centre: () => { lat: number; lon: number };
  pick: () => Promise<{ lat: number; lon: number } | null>;
  showPick: (at: { lat: number; lon: number } | null) => void;
  banner: (show: boolean) => void;
}

export function openSuggestForm(ctx: SuggestCtx): void {
  const { lang, dialog } = ctx;
  const view = new FormView(lang, 'suggest');
  const f = (spec: FieldSpec): HTMLElement => view.field(spec, 'suggest');
  let location = ctx.centre();
  const chosen: string[] = [];

  const locationText = h('p', { class: 'location-value', id: 'suggest-location-value', role: 'status' });
  const showLocation = (): void => {
    locationText.textContent = t(lang, 'fLocationValue', { lat: formatCoord(location.lat), lon: formatCoord(location.lon) });
    ctx.showPick(location);
  };
  const useCentre = h('button', { type: 'button', class: 'btn btn-small' }, uiIcon('locate'), t(lang, 'fUseCentre'));
  const pickOnMap = h('button', { type: 'button', class: 'btn btn-small' }, uiIcon('pin'), t(lang, 'fPickOnMap'));
  useCentre.addEventListener('click', () => {
    location = ctx.centre();
    showLocation();
  });
  pickOnMap.addEventListener('click', () => {
    dialog.suspend();
    ctx.banner(true);
    void ctx.pick().then((at) => {
      ctx.banner(false);
      if (at) location = at;
      showLocation();
      dialog.resume(pickOnMap);
    });
  });

  const categoryBoxes = h('div', { class: 'category-choices' });
  for (const family of ctx.categories) {
    const group = h('fieldset', { class: 'choice-group' }, h('legend', {}, categoryName(family, lang)));
    for (const child of family.children) {
      const id = `suggest-cat-${child.slug}`;
      const box = h('input', { type: 'checkbox', id, value: child.slug });
      box.addEventListener('change', () => {
        const at = chosen.indexOf(child.slug);
        if (box.checked && at < 0) chosen.push(child.slug);
        if (!box.checked && at >= 0) chosen.splice(at, 1);
      });
      group.append(h('div', { class: 'choice' }, box, h('label', { for: id }, categoryName(child, lang))));
    }
    categoryBoxes.append(group);
  }

  const done = h('button', { type: 'button', class: 'btn btn-primary' }, t(lang, 'close'));
  done.addEventListener('click', () => dialog.close());
  const { bar, submit } = view.actions(() => dialog.close());
  view.form.append(
    f({ name: 'name', pointers: ['/name'], label: 'fName', required: true }),
    h(
      'fieldset',
      { class: 'field location' },
      h('legend', {}, t(lang, 'fLocation'), ' ', h('span', { class: 'muted' }, t(lang, 'required'))),
      locationText,
      h('div', { class: 'button-row' }, useCentre, pickOnMap),
      view.errorSlot('location', ['/lat', '/lon', '/geometry']),
    ),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, t(lang, 'fCategories'), ' ', h('span', { class: 'muted' }, t(lang, 'optional'))),
      h('p', { class: 'help' }, t(lang, 'fCategoriesHelp')),
      categoryBoxes,
      view.errorSlot('categories', ['/categories']),
    ),
    f({ name: 'description', pointers: ['/description'], label: 'fDescription', type: 'textarea' }),
    f({ name: 'street', pointers: ['/address/street', '/address'], label: 'fStreet', autocomplete: 'off' }),
    h(
      'div',
      { class: 'field-row' },
      f({ name: 'postcode', pointers: ['/address/postcode'], label: 'fPostcode', autocomplete: 'off' }),
      f({ name: 'city', pointers: ['/address/city'], label: 'fCity', autocomplete: 'off' }),
    ),
    f({ name: 'opening_hours', pointers: ['/opening_hours'], label: 'fOpeningHours', help: 'fOpeningHoursHelp' }),
    f({ name: 'website', pointers: ['/contact/website', '/contact/links', '/contact'], label: 'fWebsite', type: 'url' }),
    h(
      'div',
      { class: 'field-row' },
      f({ name: 'email', pointers: ['/contact/email'], label: 'fEmail', type: 'email', autocomplete: 'off' }),
      f({ name: 'phone', pointers: ['/contact/phone'], label: 'fPhone', type: 'tel', autocomplete: 'off' }),
    ),
    f({ name: 'submitter_email', pointers: ['/submitter_email'], label: 'fSubmitterEmail', type: 'email', help: 'fSubmitterEmailHelp', autocomplete: 'email' }),
    bar,
  );
  view.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name: view.value('name'),
      lat: Number(location.lat.toFixed(6)),
      lon: Number(location.lon.toFixed(6)),
      honeypot: view.honeypot.value,
    };
    if (chosen.length) body.categories = [...chosen];
    const description = view.value('description');
    if (description) body.description = description;
    const address = compact({ street: view.value('street'), postcode: view.value('postcode'), city: view.value('city') });
    if (address) body.address = address;
    const contact = compact({ website: view.value('website'), email: view.value('email'), phone: view.value('phone') });
    if (contact) body.contact = contact;
    const hours = view.value('opening_hours');
    if (hours) body.opening_hours = hours;
    const submitter = view.value('submitter_email');
    if (submitter) body.submitter_email = submitter;
    void view.send(submit, '/api/v1/suggestions', body, done);
  });
  dialog.open(lang, t(lang, 'suggestTitle'), [h('p', { class: 'dialog-intro' }, t(lang, 'suggestIntro')), view.form], () => ctx.showPick(null));
  showLocation();
}

export function openReportForm(lang: Lang, dialog: Dialog, item: Initiative): void {
  const view = new FormView(lang, 'report');
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, t(lang, 'close'));
  done.addEventListener('click', () => dialog.close());
  const { bar, submit } = view.actions(() => dialog.close());
  view.form.append(
    view.field({ name: 'message', pointers: ['/message'], label: 'fMessage', type: 'textarea', required: true }, 'report'),
    view.field({ name: 'email', pointers: ['/email'], label: 'fReportEmail', type: 'email', help: 'fReportEmailHelp', autocomplete: 'email' }, 'report'),
    bar,
  );
  view.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = { message: view.value('message'), honeypot: view.honeypot.value };
    const email = view.value('email');
    if (email) body.email = email;
    void view.send(submit, `/api/v1/initiatives/${encodeURIComponent(item.id)}/reports`, body, done);
  });
  dialog.open(lang, t(lang, 'reportTitle'), [h('p', { class: 'dialog-intro' }, t(lang, 'reportIntro', { name: item.name })), view.form]);
}
