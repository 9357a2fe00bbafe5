// The workspace at /workspace: the login form when logged out; otherwise a navigation (with the
// counts of what waits) and one view per path. The language is the URL's `lang`, else the
// browser's, as on the map.

import '../styles.css';
import './workspace.css';
import { messageOf } from '../api';
import { byId, h } from '../dom';
import { browserLang, isLang, type Lang } from '../i18n';
import { Notices } from '../notices';
import { showDuplicates } from './duplicates';
import { showEditor, showHistory } from './editor';
import { showEvaluation } from './evaluation';
import { showImports } from './imports';
import { showInbox } from './inbox';
import { showLinks } from './links';
import { Api, may, type Role, type Session } from './session';
import { wt, wtValue, type WsKey } from './strings';
import { showToCheck } from './to-check';
import { field, heading, showProblem, type Context } from './ui';
import { showUsers } from './users';

function currentLang(): Lang {
  const asked = new URLSearchParams(location.search).get('lang');
  return isLang(asked) ? asked : browserLang();
}

function withLang(path: string, lang: Lang): string {
  const url = new URL(path, location.origin);
  if (new URLSearchParams(location.search).has('lang')) url.searchParams.set('lang', lang);
  return url.pathname + url.search;
}

interface NavItem {
  path: string;
  label: WsKey;
  role: Role;
  count?: string;
}

const NAV: NavItem[] = [
  { path: '/workspace', label: 'inbox', role: 'moderator', count: 'inbox' },
  { path: '/workspace/to-check', label: 'toCheck', role: 'editor', count: 'toCheck' },
  { path: '/workspace/duplicates', label: 'duplicates', role: 'editor', count: 'duplicates' },
  { path: '/workspace/imports', label: 'imports', role: 'admin' },
  { path: '/workspace/users', label: 'users', role: 'admin' },
  { path: '/workspace/new', label: 'newInitiative', role: 'editor' },
];

class Workspace {
  private readonly lang = currentLang();
  private readonly api = new Api(this.lang);
  private readonly notices = new Notices(byId('notices'), () => this.lang);
  private readonly main = byId('ws-main');
  private session: Session | null = null;

  async start(): Promise<void> {
    const lang = this.lang;
    document.documentElement.lang = lang;
    document.title = wt(lang, 'title');
    byId('ws-skip').textContent = wt(lang, 'skip');
    byId('ws-tagline').textContent = wt(lang, 'tagline');
    byId('ws-map-link').textContent = wt(lang, 'toMap');
    byId('notices').setAttribute('aria-label', 'Notifications');
    const langButton = byId('ws-lang');
    langButton.textContent = wt(lang, 'switchLang');
    langButton.title = wt(lang, 'switchLangTitle');
    langButton.setAttribute('lang', lang === 'fr' ? 'en' : 'fr');
    langButton.addEventListener('click', () => {
      const url = new URL(location.href);
      url.searchParams.set('lang', lang === 'fr' ? 'en' : 'fr');
      location.assign(url.href);
    });
    const logout = byId<HTMLButtonElement>('ws-logout');
    logout.textContent = wt(lang, 'logout');
    logout.addEventListener('click', () => void this.logOut());
    byId('ws-home').addEventListener('click', (e) => {
      e.preventDefault();
      this.navigate('/workspace');
    });
    window.addEventListener('popstate', () => void this.route());
    this.main.replaceChildren(h('p', { role: 'status' }, wt(lang, 'loading')));
    try {
      this.session = await this.api.session();
    } catch (e) {
      this.main.replaceChildren(h('p', { role: 'alert', class: 'error-box' }, messageOf(e, lang)));
      return;
    }
    await this.route();
  }

  navigate(path: string): void {
    history.pushState(null, '', withLang(path, this.lang));
    void this.route();
  }

  private context(session: Session): Context {
    return {
      api: this.api,
      lang: this.lang,
      session,
      notices: this.notices,
      navigate: (path) => this.navigate(path),
      refreshCounts: () => void this.counts(session),
    };
  }

  private async route(): Promise<void> {
    const path = location.pathname.replace(/\/+$/, '') || '/workspace';
    const token = new URLSearchParams(location.search).get('token');
    if ((path === '/workspace/invitation' || path === '/workspace/reset') && token) {
      this.showNav(null);
      this.passwordForm(token);
      return;
    }
    const session = this.session;
    this.showNav(session);
    if (!session) {
      this.loginForm();
      return;
    }
    this.api.token = session.csrf_token;
    const ctx = this.context(session);
    const edit = /^\/workspace\/initiatives\/([^/]+)(?:\/(history|evaluate|links))?$/.exec(path);
    this.main.replaceChildren(h('p', { role: 'status' }, wt(this.lang, 'loading')));
    if (path === '/workspace') await showInbox(ctx, this.main);
    else if (path === '/workspace/to-check') await showToCheck(ctx, this.main);
    else if (path === '/workspace/duplicates') await showDuplicates(ctx, this.main);
    else if (path === '/workspace/imports') await showImports(ctx, this.main);
    else if (path === '/workspace/users') await showUsers(ctx, this.main);
    else if (path === '/workspace/new') await showEditor(ctx, this.main, null);
    else if (edit?.[1] && edit[2] === 'history') await showHistory(ctx, this.main, decodeURIComponent(edit[1]));
    else if (edit?.[1] && edit[2] === 'evaluate') await showEvaluation(ctx, this.main, decodeURIComponent(edit[1]));
    else if (edit?.[1] && edit[2] === 'links') await showLinks(ctx, this.main, decodeURIComponent(edit[1]));
    else if (edit?.[1]) await showEditor(ctx, this.main, decodeURIComponent(edit[1]));
    else this.main.replaceChildren(heading(wt(this.lang, 'notFound')));
    this.markCurrent(path);
    document.getElementById('ws-heading')?.focus();
  }

  private showNav(session: Session | null): void {
    const nav = byId('ws-nav');
    byId('ws-logout').hidden = !session;
    if (!session) {
      nav.hidden = true;
      nav.replaceChildren();
      return;
    }
    nav.hidden = false;
    nav.setAttribute('aria-label', wt(this.lang, 'navLabel'));
    if (nav.childElementCount) return;
    const items = NAV.filter((item) => may(session, item.role)).map((item) => {
      const link = h('a', { href: withLang(item.path, this.lang), 'data-path': item.path }, wt(this.lang, item.label));
      if (item.count) link.append(' ', h('span', { class: 'count', 'data-count': item.count, hidden: true }));
      link.addEventListener('click', (e) => {
        e.preventDefault();
        this.navigate(item.path);
      });
      return h('li', {}, link);
    });
    nav.replaceChildren(
      h('p', { class: 'ws-who' }, wt(this.lang, 'loggedAs', { name: session.user.name, role: wtValue(this.lang, 'role', session.user.role) })),
      h('ul', {}, ...items),
    );
    void this.counts(session);
  }

  private markCurrent(path: string): void {
    for (const link of byId('ws-nav').querySelectorAll<HTMLAnchorElement>('a[data-path]')) {
      if (link.dataset.path === path) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  /** The numbers next to Inbox, To check and Duplicates. */
  private async counts(session: Session): Promise<void> {
    const set = (name: string, n: number | null): void => {
      const badge = document.querySelector<HTMLElement>(`[data-count="${name}"]`);
      if (!badge || n === null) return;
      badge.hidden = n === 0;
      badge.textContent = String(n);
      badge.setAttribute('aria-label', wt(this.lang, 'countLabel', { n }));
    };
    const count = async (path: string, key: string): Promise<number | null> => {
      try {
        const body = await this.api.get<Record<string, unknown[]>>(path);
        return body[key]?.length ?? 0;
      } catch {
        return null;
      }
    };
    const [suggestions, reports] = await Promise.all([count('/api/v1/suggestions', 'suggestions'), count('/api/v1/reports', 'reports')]);
    set('inbox', suggestions === null || reports === null ? null : suggestions + reports);
    if (may(session, 'editor')) {
      set('toCheck', await count('/api/v1/to-check?limit=500', 'initiatives'));
      set('duplicates', await count('/api/v1/duplicates?limit=1000', 'duplicates'));
    }
  }

  private loginForm(): void {
    const lang = this.lang;
    const email = field(lang, 'login-email', 'email', h('input', { type: 'email', autocomplete: 'username', required: true }), ['/email']);
    const password = field(lang, 'login-password', 'password', h('input', { type: 'password', autocomplete: 'current-password', required: true }), ['/password']);
    const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, wt(lang, 'login'));
    const form = h('form', { class: 'form ws-login', novalidate: true }, summary, email.wrap, password.wrap, h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit.disabled = true;
      this.api
        .logIn(email.input.value.trim(), password.input.value)
        .then(async () => {
          this.session = await this.api.session();
          this.showNav(null);
          await this.route();
        })
        .catch((error: unknown) => showProblem(lang, form, summary, error))
        .finally(() => (submit.disabled = false));
    });
    this.main.replaceChildren(h('section', { class: 'ws-panel ws-narrow' }, heading(wt(lang, 'loginTitle')), h('p', { class: 'help' }, wt(lang, 'loginIntro')), form));
  }

  private passwordForm(token: string): void {
    const lang = this.lang;
    const password = field(lang, 'new-password', 'newPassword', h('input', { type: 'password', autocomplete: 'new-password', minlength: 12, required: true }), ['/password', '/token']);
    const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, wt(lang, 'setPassword'));
    const form = h('form', { class: 'form', novalidate: true }, summary, password.wrap, h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit.disabled = true;
      this.api
        .send('POST', '/api/v1/session/password', { token, password: password.input.value })
        .then(() => {
          this.notices.show('password', wt(lang, 'passwordSet'), 'info');
          this.session = null;
          history.replaceState(null, '', withLang('/workspace', lang));
          void this.route();
        })
        .catch((error: unknown) => showProblem(lang, form, summary, error))
        .finally(() => (submit.disabled = false));
    });
    this.main.replaceChildren(h('section', { class: 'ws-panel ws-narrow' }, heading(wt(lang, 'passwordTitle')), h('p', { class: 'help' }, wt(lang, 'passwordIntro')), form));
    document.getElementById('ws-heading')?.focus();
  }

  private async logOut(): Promise<void> {
    try {
      await this.api.send('DELETE', '/api/v1/session');
    } catch {
      // Ended already: the login form either way.
    }
    this.session = null;
    this.navigate('/workspace');
  }
}

void new Workspace().start();
