// The person logged in, and every call of the workspace to the API: with the session cookie
// (same origin), the interface language, and on every change the session's CSRF token.

import { ApiError, request, requestWithHeaders, type Schema } from '../api';
import type { Lang } from '../i18n';

export type Role = Schema<'Role'>;
const RANK: Record<Role, number> = { moderator: 0, editor: 1, admin: 2 };

export type Person = Schema<'Person'>;
export type Session = Schema<'SessionBody'>;

/** Whether `session` has at least `role`. */
export function may(session: Session, role: Role): boolean {
  return RANK[session.user.role] >= RANK[role];
}

/** The API as the person logged in. */
export class Api {
  constructor(
    readonly lang: Lang,
    private csrf = '',
  ) {}

  set token(csrf: string) {
    this.csrf = csrf;
  }

  get<T>(path: string): Promise<T> {
    return request<T>(this.lang, path, { credentials: 'same-origin', cache: 'no-store' });
  }

  /** A read with its `ETag` (to send back as `If-Match` when saving). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body it expects
  async getTagged<T>(path: string): Promise<{ body: T; etag: string | null }> {
    const { body, headers } = await requestWithHeaders<T>(this.lang, path, { credentials: 'same-origin', cache: 'no-store' });
    return { body, etag: headers.get('ETag') };
  }

  /** A change: JSON body (merge patch for PATCH), the CSRF token. 204 answers `null`. */
  async send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit = {
      method,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': this.csrf, ...headers },
    };
    if (body !== undefined) {
      (init.headers as Record<string, string>)['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      return await request<T>(this.lang, path, init);
    } catch (e) {
      // A 204 has no JSON to decode: `request` reports it as a failure with status 204.
      if (e instanceof ApiError && e.status >= 200 && e.status < 300) return null as T;
      throw e;
    }
  }

  /** The live session, or null when logged out. */
  async session(): Promise<Session | null> {
    try {
      return await this.get<Session>('/api/v1/session');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  }

  logIn(email: string, password: string): Promise<Session> {
    return this.send<Session>('POST', '/api/v1/session', { email, password });
  }
}
