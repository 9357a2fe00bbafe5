// Tiny helpers to build DOM nodes without a framework.

type Attr = string | number | boolean | null | undefined;
type Child = Node | string | null | undefined | false;

/** `h('a', { href: '/x', class: 'link' }, 'text', child)`; false/null/undefined attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the element type it expects
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.cancel = (): void => clearTimeout(timer);
  return run;
}

/** Only http(s) links are ever put in an href (no javascript: URLs from data). */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * `mailto:` link to one address. Everything but `@` is percent-encoded (RFC 6068), so that an
 * address such as `a?cc=x@evil.example&body=…` stays an address: no `?` or `#` can start a query
 * or a fragment (and so add recipients, a subject or a body), no `,` can add a recipient.
 */
export function mailtoHref(address: string): string {
  // (a lone surrogate would make encodeURIComponent throw)
  const wellFormed = address.trim().replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return `mailto:${encodeURIComponent(wellFormed).replace(/%40/g, '@')}`;
}

/** Copies text to the clipboard; when that is refused, selects it in `field` to copy by hand. */
export async function copyText(text: string, field?: HTMLInputElement | HTMLTextAreaElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field?.focus();
    field?.select();
    return false;
  }
}
