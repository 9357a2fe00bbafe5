// Calls to the Archipel API. Every request says the interface language (the server answers its
// errors in it) and every failure becomes an `ApiError` whose message is the server's localised
// `detail`, or our own sentence when the server could not be reached.

import type { components } from './generated/openapi';
import { t, type Lang } from './i18n';

/** A schema of the server's OpenAPI document (docs/openapi.json, generated into src/generated/ by `npm run gen`). */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** What went wrong: the server's problem+json, or our own sentence (status 0: the server was not reached). */
export type Problem = Pick<Schema<'Problem'>, 'status' | 'detail' | 'errors'> & Partial<Pick<Schema<'Problem'>, 'code'>>;

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

export type Category = Schema<'CategoryDoc'>;

export type Address = Schema<'AddressDoc'>;
export type Contact = Schema<'ContactDoc'>;
export type Provenance = Schema<'ProvenanceDoc'>;
export type Initiative = Schema<'InitiativeDoc'>;
export type InitiativeList = Schema<'InitiativeListDoc'>;

export type Config = Schema<'MapConfig'>;
/** What `POST /api/v1/suggestions` and `POST /api/v1/initiatives/{key}/reports` answer. */
export type Created = Schema<'SuggestionReceipt'> | Schema<'ReportReceipt'>;

async function problemOf(response: Response, lang: Lang): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Schema<'Problem'>>;
    if (typeof body.detail === 'string' && body.detail) {
      return { status: response.status, detail: body.detail, code: body.code, errors: body.errors };
    }
  } catch {
    // Not JSON: a proxy's error page, for instance.
  }
  return { status: response.status, detail: t(lang, 'errorGeneric', { status: response.status }) };
}

/** Fetches `path` and decodes its JSON; throws an `ApiError` with a sentence to show. */
export async function request<T>(lang: Lang, path: string, init: RequestInit = {}): Promise<T> {
  return (await requestWithHeaders<T>(lang, path, init)).body;
}

/** As `request`, with the answer's headers (an `ETag`, for instance). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body it expects
export async function requestWithHeaders<T>(lang: Lang, path: string, init: RequestInit = {}): Promise<{ body: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  headers.set('Accept-Language', lang);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError({ status: 0, detail: t(lang, 'errorNetwork') });
  }
  if (!response.ok) throw new ApiError(await problemOf(response, lang));
  try {
    return { body: (await response.json()) as T, headers: response.headers };
  } catch {
    throw new ApiError({ status: response.status, detail: t(lang, 'errorGeneric', { status: response.status }) });
  }
}

export function postJson<T>(lang: Lang, path: string, body: unknown): Promise<T> {
  return request<T>(lang, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export const getConfig = (lang: Lang): Promise<Config> => request<Config>(lang, '/api/v1/config');

export const getCategories = (lang: Lang): Promise<Category[]> =>
  request<Schema<'CategoryListDoc'>>(lang, '/api/v1/categories').then((r) => r.categories);

export const getInitiative = (lang: Lang, key: string, signal?: AbortSignal): Promise<Initiative> =>
  request<Initiative>(lang, `/api/v1/initiatives/${encodeURIComponent(key)}`, signal ? { signal } : {});

export function listInitiatives(lang: Lang, params: URLSearchParams, signal?: AbortSignal): Promise<InitiativeList> {
  return request<InitiativeList>(lang, `/api/v1/initiatives?${params.toString()}`, signal ? { signal } : {});
}

/** What the search box suggests for the text typed so far (`/api/v1/suggest`). */
export function suggestInitiatives(lang: Lang, q: string, limit: number, signal?: AbortSignal): Promise<InitiativeList> {
  const params = new URLSearchParams({ q, limit: String(limit) });
  return request<InitiativeList>(lang, `/api/v1/suggest?${params.toString()}`, signal ? { signal } : {});
}

/** The message to show for any error thrown by this module (or by anything else). */
export function messageOf(error: unknown, lang: Lang): string {
  if (error instanceof ApiError) return error.message;
  return t(lang, 'errorNetwork');
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Index of categories by slug, families and practices alike. */
export function indexCategories(tree: readonly Category[]): Map<string, Category & { family: string | null }> {
  const index = new Map<string, Category & { family: string | null }>();
  for (const family of tree) {
    index.set(family.slug, { ...family, family: null });
    for (const child of family.children) index.set(child.slug, { ...child, family: family.slug });
  }
  return index;
}

export function categoryName(category: Pick<Category, 'name_fr' | 'name_en'>, lang: Lang): string {
  return lang === 'fr' ? category.name_fr : category.name_en;
}
