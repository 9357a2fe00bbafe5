// Messages for the visitor: failures (kept until dismissed, announced at once) and information
// (announced politely, gone after a while). A message with the same key replaces the previous one.

import { h } from './dom';
import { t, type Lang } from './i18n';
import { uiIcon } from './icons';

export class Notices {
  private readonly items = new Map<string, HTMLElement>();

  constructor(
    private readonly container: HTMLElement,
    private readonly lang: () => Lang,
  ) {}

  show(key: string, message: string, kind: 'error' | 'info' = 'error'): void {
    this.clear(key);
    const close = h('button', { type: 'button', class: 'icon-btn notice-close', 'aria-label': t(this.lang(), 'dismiss'), title: t(this.lang(), 'dismiss') }, uiIcon('close'));
    const item = h(
      'div',
      { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-key': key },
      h('p', {}, message),
      close,
    );
    close.addEventListener('click', () => this.clear(key));
    this.items.set(key, item);
    this.container.append(item);
    if (kind === 'info') setTimeout(() => { if (this.items.get(key) === item) this.clear(key); }, 10000);
  }

  clear(key: string): void {
    this.items.get(key)?.remove();
    this.items.delete(key);
  }
}
