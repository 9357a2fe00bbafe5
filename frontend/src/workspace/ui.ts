// What every view of the workspace shares: its context, dates, labelled fields whose API errors
// show inline, and buttons that wait for their request.

import { ApiError, messageOf } from '../api';
import { h } from '../dom';
import type { Lang } from '../i18n';
import type { Notices } from '../notices';
import type { Api, Session } from './session';
import { wt, type WsKey } from './strings';

export interface Context {
  api: Api;
  lang: Lang;
  session: Session;
  notices: Notices;
  /** Goes to a workspace path (`/workspace/…`), keeping the language. */
  navigate: (path: string) => void;
  /** Reloads the counts of the navigation. */
  refreshCounts: () => void;
}

export function dateText(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return wt(lang, 'none');
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function dayText(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return wt(lang, 'none');
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long' }).format(new Date(iso));
}

/** The view's heading, focused so that a screen reader announces the new view. */
export function heading(text: string): HTMLHeadingElement {
  return h('h1', { class: 'ws-heading', tabindex: '-1', id: 'ws-heading' }, text);
}

export interface Field {
  wrap: HTMLElement;
  input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
  error: HTMLElement;
}

/**
 * A labelled input; `pointers` are the JSON pointers of the API's field errors that belong to it
 * (e.g. `/contact/email`).
 */
export function field(
  lang: Lang,
  id: string,
  label: WsKey,
  input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
  pointers: string[],
  help?: string,
): Field {
  input.id = id;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true, 'data-pointers': pointers.join(' ') });
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', described);
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, wt(lang, label)), help ? h('p', { class: 'help', id: `${id}-help` }, help) : null, input, error);
  return { wrap, input, error };
}

/**
 * Shows a 422's field errors next to their fields (and in `summary`); anything else in `summary`.
 * Returns the first field in error, to focus.
 */
export function showProblem(lang: Lang, form: HTMLElement, summary: HTMLElement, error: unknown): void {
  for (const slot of form.querySelectorAll<HTMLElement>('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const errors = error instanceof ApiError ? (error.problem.errors ?? []) : [];
  const unplaced: string[] = [];
  let first: HTMLElement | null = null;
  for (const e of errors) {
    const slot = [...form.querySelectorAll<HTMLElement>('.field-error')].find((s) =>
      (s.dataset.pointers ?? '').split(' ').some((p) => p && (e.field === p || e.field.startsWith(`${p}/`))),
    );
    if (!slot) {
      unplaced.push(e.message);
      continue;
    }
    slot.hidden = false;
    slot.textContent = slot.textContent ? `${slot.textContent} ${e.message}` : e.message;
    const input = form.querySelector<HTMLElement>(`[aria-describedby~="${slot.id}"]`);
    input?.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  summary.hidden = false;
  summary.replaceChildren(
    h('p', {}, errors.length ? wt(lang, 'fixErrors', { n: errors.length }) : messageOf(error, lang)),
    ...(unplaced.length ? [h('ul', {}, ...unplaced.map((m) => h('li', {}, m)))] : []),
  );
  (first ?? summary).focus();
}

/** Runs `action` with `button` disabled; a failure becomes an error notice. */
export async function busy(ctx: Context, button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } catch (e) {
    ctx.notices.show('action', wt(ctx.lang, 'failed', { detail: messageOf(e, ctx.lang) }));
  } finally {
    button.disabled = false;
  }
}

export function button(text: string, cls = 'btn', attrs: Record<string, string> = {}): HTMLButtonElement {
  return h('button', { type: 'button', class: cls, ...attrs }, text);
}

/** A failure to load a view, with a retry. */
export function loadFailed(ctx: Context, error: unknown, retry: () => void): HTMLElement {
  const again = button(wt(ctx.lang, 'retry'));
  again.addEventListener('click', retry);
  return h('div', { class: 'error-box', role: 'alert' }, h('p', {}, wt(ctx.lang, 'failed', { detail: messageOf(error, ctx.lang) })), again);
}
