// Small line icons drawn for Archipel on a 24 × 24 grid (stroke 2, round ends). The same path
// data draws the inline SVGs of the interface and, through Path2D, the markers of the map.

const CATEGORY_ICONS: Record<string, string> = {
  wrench: 'M15.5 3.5a5 5 0 0 0-4.8 6.6L3.8 17a2.1 2.1 0 0 0 3 3l6.9-6.9a5 5 0 0 0 6.6-4.8l-2.8 2.8-3-.8-.8-3z',
  bicycle: 'M2 17a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0M15 17a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0M5.5 17l3.5-7h7l2.5 7M9 10l3 7H5.5M14 6h2.5L16 10',
  recycle: 'M20 12a8 8 0 0 1-14.2 5M4 12a8 8 0 0 1 14.2-5M18.5 3v4.2h-4.2M5.5 21v-4.2h4.2',
  shirt: 'M8.5 3 3 6.2l2 4 2.5-1V21h9V9.2l2.5 1 2-4L15.5 3c-.6 1.6-1.9 2.6-3.5 2.6S9.1 4.6 8.5 3z',
  screwdriver: 'M14.5 2.8l6.7 6.7-3.2 3.2-6.7-6.7zM11.4 9.7 4 17.1V20h2.9l7.4-7.4',
  leaf: 'M5 19C5 10.5 10 5.5 20 4c-1.2 9.8-6.2 15-15 15zM5 19l7.5-7.5',
  sprout: 'M12 21v-9M12 12C12 8.2 9.3 6 5 6c0 3.8 2.7 6 7 6zM12 10c0-3 2.4-5 6.5-5 0 3-2.4 5-6.5 5z',
  compost: 'M4 8h16M6 8l1.3 12.5h9.4L18 8M9.5 4h5l.8 4H8.7zM10 12v5M14 12v5',
  basket: 'M3 10h18l-2.2 10H5.2zM7.5 10 11 4M16.5 10 13 4M9 13.5v3.5M12 13.5v3.5M15 13.5v3.5',
  cart: 'M2.5 4h2.4l2.4 11h10.4L20 7.5H6M8 20a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0M15 20a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0',
  seed: 'M12 3c4.5 4.2 5.3 9.6 0 18-5.3-8.4-4.5-13.8 0-18zM12 8v9',
  tools: 'M3.5 20.5l8.2-8.2M13.5 3.5l7 7-2.6 2.6-7-7zM20.5 20.5l-6.8-6.8M4 4l3.5 1.2 4 4-2.3 2.3-4-4z',
  cog: 'M9 12a3 3 0 1 0 6 0a3 3 0 1 0-6 0M5 12a7 7 0 1 0 14 0a7 7 0 1 0-14 0M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9 7 7M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1',
  building: 'M4 21V5.5L12 2.5l8 3V21zM9.5 21v-5h5v5M8 8.5h2M14 8.5h2M8 12.5h2M14 12.5h2M2.5 21h19',
  laptop: 'M5 5h14v10H5zM2.5 19h19l-2-4h-15z',
  gift: 'M4 10.5h16V21H4zM3 7h18v3.5H3zM12 7v14M12 7C10.5 3.2 6.5 3.8 8 7M12 7c1.5-3.8 5.5-3.2 4 0',
  hammer: 'M13 3.5l6.5 6.5-2.2 2.2L10.8 5.7zM10.8 5.7 13 3.5M14 9 4 19l1.5 1.5 10-10',
  book: 'M3.5 4.5h6a2.5 2.5 0 0 1 2.5 2.5v13.5a2 2 0 0 0-2-2H3.5zM20.5 4.5h-6A2.5 2.5 0 0 0 12 7v13.5a2 2 0 0 1 2-2h6.5z',
  puzzle: 'M4 8h4a2 2 0 1 1 4 0h4v4a2 2 0 1 1 0 4v4H4v-4a2 2 0 1 0 0-4z',
  coins: 'M3 7a6 2.5 0 1 0 12 0a6 2.5 0 1 0-12 0M3 7v4.5c0 1.4 2.7 2.5 6 2.5M15 7v3M9 14.5a6 2.5 0 1 0 12 0a6 2.5 0 1 0-12 0M9 14.5V18c0 1.4 2.7 2.5 6 2.5s6-1.1 6-2.5v-3.5',
  home: 'M3 11.5 12 3.5l9 8M5.5 9.5V21h13V9.5M10 21v-6h4v6',
  people: 'M6 8a3 3 0 1 0 6 0a3 3 0 1 0-6 0M3 20.5c0-3.6 2.7-6 6-6s6 2.4 6 6M15.5 5.2a3 3 0 0 1 0 5.6M17.5 14.7c2.1.7 3.5 2.8 3.5 5.8',
  coffee: 'M4 8.5h12V14a5 5 0 0 1-5 5H9a5 5 0 0 1-5-5zM16 10h1.8a2.2 2.2 0 0 1 0 4.4H16M8 2.5v3M12 2.5v3M3 21.5h14',
  bread: 'M5 11.5a3.2 3.2 0 0 1 0-6.4h14a3.2 3.2 0 0 1 0 6.4V20H5zM9.5 9v3M14.5 9v3',
};

const FALLBACK = 'M8 12a4 4 0 1 0 8 0a4 4 0 1 0-8 0';

export const UI_ICONS = {
  search: 'M4 10.5a6.5 6.5 0 1 0 13 0a6.5 6.5 0 1 0-13 0M15.5 15.5 21 21',
  locate: 'M6 12a6 6 0 1 0 12 0a6 6 0 1 0-12 0M12 2v4M12 18v4M2 12h4M18 12h4M11 12a1 1 0 1 0 2 0a1 1 0 1 0-2 0',
  plus: 'M12 5v14M5 12h14',
  code: 'M8.5 7 3.5 12l5 5M15.5 7l5 5-5 5M13.5 4.5l-3 15',
  close: 'M6 6l12 12M18 6 6 18',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  list: 'M8 6h13M8 12h13M8 18h13M3.5 6h.5M3.5 12h.5M3.5 18h.5',
  chevron: 'M6 9l6 6 6-6',
  clock: 'M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0M12 7v5l3 2',
  pin: 'M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21zM9.5 9.5a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0',
  globe: 'M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0M3 12h18M12 3c2.5 2.7 3.8 5.7 3.8 9s-1.3 6.3-3.8 9c-2.5-2.7-3.8-5.7-3.8-9S9.5 5.7 12 3',
  flag: 'M5 21V4M5 4h12l-2.5 4L17 12H5',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
} as const;

export type UiIcon = keyof typeof UI_ICONS;

export function categoryIconPath(name: string | undefined): string {
  return (name && CATEGORY_ICONS[name]) || FALLBACK;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An inline, decorative SVG icon (hidden from assistive technologies). */
export function svgIcon(path: string, className = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', className);
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

export function uiIcon(name: UiIcon, className = 'icon'): SVGSVGElement {
  return svgIcon(UI_ICONS[name], className);
}

/** Fills every `<span data-icon="name">` of the static markup with its SVG. */
export function fillIcons(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-icon]')) {
    const name = el.dataset.icon as UiIcon;
    if (name in UI_ICONS && !el.firstElementChild) el.replaceWith(uiIcon(name));
  }
}
