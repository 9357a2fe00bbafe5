// "Embed this map": the <iframe> code for the current view and filters, ready to copy.

import { copyText, h } from './dom';
import type { Dialog } from './forms';
import { t, type Lang } from './i18n';
import { uiIcon } from './icons';
import { serializeEmbedParams, type EmbedParams } from './url-state';

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function embedUrl(origin: string, params: EmbedParams): string {
  return `${origin}/embed${serializeEmbedParams(params)}`;
}

export function iframeCode(src: string, title: string, width: string, height: number): string {
  return `<iframe src="${attr(src)}" title="${attr(title)}" width="${attr(width)}" height="${height}" style="border:0" loading="lazy" allow="geolocation"></iframe>`;
}

export function openEmbedDialog(lang: Lang, dialog: Dialog, params: EmbedParams): void {
  const src = embedUrl(location.origin, params);
  const width = h('input', { id: 'embed-width', type: 'text', value: '100%', inputmode: 'text', size: 8 });
  const height = h('input', { id: 'embed-height', type: 'number', value: 480, min: 200, max: 2000, step: 10 });
  const code = h('textarea', { id: 'embed-code', readonly: true, rows: 6, class: 'code', spellcheck: 'false' });
  const update = (): void => {
    const hValue = Math.max(200, Math.min(2000, Number(height.value) || 480));
    code.value = iframeCode(src, t(lang, 'embedFrameTitle'), width.value.trim() || '100%', hValue);
  };
  width.addEventListener('input', update);
  height.addEventListener('input', update);
  update();
  const feedback = h('span', { class: 'copy-feedback', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary' }, uiIcon('copy'), t(lang, 'copy'));
  copy.addEventListener('click', () => {
    void copyText(code.value, code).then((ok) => {
      feedback.textContent = t(lang, ok ? 'copied' : 'copyFailed');
    });
  });
  dialog.open(lang, t(lang, 'embedTitle'), [
    h('p', { class: 'dialog-intro' }, t(lang, 'embedIntro')),
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'embed-width' }, t(lang, 'embedWidth')), width),
      h('div', { class: 'field' }, h('label', { for: 'embed-height' }, t(lang, 'embedHeight')), height),
    ),
    h('div', { class: 'field' }, h('label', { for: 'embed-code' }, t(lang, 'embedCode')), code),
    h(
      'div',
      { class: 'form-actions' },
      h('a', { href: src, target: '_blank', rel: 'noopener', class: 'btn' }, t(lang, 'embedPreview')),
      copy,
    ),
    feedback,
  ]);
}
