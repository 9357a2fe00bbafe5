// On phones (< 640 px) the side panel becomes a bottom sheet: a handle button shows or hides it
// (keyboard and screen readers), and dragging the handle does the same by touch or mouse.

import { t, type Lang } from './i18n';

export const PHONE_QUERY = '(max-width: 639.98px)';

export class Sheet {
  private expanded = false;
  private readonly phone = window.matchMedia(PHONE_QUERY);
  private lang: Lang;

  constructor(
    private readonly panel: HTMLElement,
    private readonly body: HTMLElement,
    private readonly handle: HTMLButtonElement,
    private readonly label: HTMLElement,
    lang: Lang,
  ) {
    this.lang = lang;
    let dragged = false;
    handle.addEventListener('click', () => {
      if (dragged) {
        dragged = false;
        return;
      }
      this.set(!this.expanded);
    });
    handle.addEventListener('pointerdown', (down) => {
      if (!this.phone.matches) return;
      const startY = down.clientY;
      const startHeight = panel.getBoundingClientRect().height;
      const max = window.innerHeight * 0.85;
      handle.setPointerCapture(down.pointerId);
      dragged = false;
      const move = (e: PointerEvent): void => {
        const dy = startY - e.clientY;
        if (Math.abs(dy) > 6) dragged = true;
        if (!dragged) return;
        this.body.hidden = false;
        panel.style.height = `${Math.max(56, Math.min(max, startHeight + dy))}px`;
      };
      const up = (): void => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        if (!dragged) return;
        const height = panel.getBoundingClientRect().height;
        panel.style.height = '';
        this.set(height > window.innerHeight * 0.3);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    this.phone.addEventListener('change', () => this.apply());
    this.apply();
  }

  set(expanded: boolean): void {
    this.expanded = expanded;
    this.apply();
  }

  setLang(lang: Lang): void {
    this.lang = lang;
    this.apply();
  }

  get isPhone(): boolean {
    return this.phone.matches;
  }

  private apply(): void {
    const phone = this.phone.matches;
    const open = !phone || this.expanded;
    this.panel.classList.toggle('is-expanded', phone && this.expanded);
    this.body.hidden = !open;
    this.handle.setAttribute('aria-expanded', String(open));
    this.label.textContent = t(this.lang, open ? 'sheetHide' : 'sheetShow');
  }
}
