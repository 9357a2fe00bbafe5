// Imports: the sources with their last run, Run now (or a dry run), run reports, and the
// conflicts between a feed and a person's corrections (Keep ours / Take the feed's).

import { messageOf, type Schema } from '../api';
import { h } from '../dom';
import { may } from './session';
import { wt } from './strings';
import { busy, button, dateText, heading, loadFailed, type Context } from './ui';


type Source = Schema<'Source'>;
/** What `POST /api/v1/sources/{id}/runs?dry_run=true` answers: what a run would do, nothing written. */
type DryRun = Schema<'DryRun'>;
type Conflict = Schema<'ImportConflict'>;

function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(String).join(', ') || '—';
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export async function showImports(ctx: Context, main: HTMLElement): Promise<void> {
  const { lang, api } = ctx;
  if (!may(ctx.session, 'admin')) {
    main.replaceChildren(heading(wt(lang, 'imports')), h('p', {}, wt(lang, 'adminOnly')));
    return;
  }
  let sources: Source[];
  let conflicts: Conflict[];
  try {
    [sources, conflicts] = await Promise.all([
      api.get<Schema<'SourceList'>>('/api/v1/sources').then((r) => r.sources),
      api.get<Schema<'ConflictList'>>('/api/v1/import-conflicts').then((r) => r.conflicts),
    ]);
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showImports(ctx, main)));
    return;
  }
  const reload = (): void => void showImports(ctx, main);
  const sourceItems = sources.map((s) => {
    const run = button(wt(lang, 'runNow'), 'btn btn-small btn-primary', { 'aria-label': `${wt(lang, 'runNow')} : ${s.name}` });
    run.addEventListener('click', () =>
      void busy(ctx, run, async () => {
        await api.send('POST', `/api/v1/sources/${encodeURIComponent(s.id)}/runs`);
        ctx.notices.show('imports', wt(lang, 'runStarted'), 'info');
        reload();
      }),
    );
    const runs = h('div', { class: 'ws-runs' });
    const showRuns = button(wt(lang, 'runs'), 'btn btn-small', { 'aria-expanded': 'false', 'aria-label': `${wt(lang, 'runs')} : ${s.name}` });
    showRuns.addEventListener('click', () =>
      void busy(ctx, showRuns, async () => {
        const list = (await api.get<Schema<'RunList'>>(`/api/v1/sources/${encodeURIComponent(s.id)}/runs`)).runs;
        showRuns.setAttribute('aria-expanded', 'true');
        runs.replaceChildren(
          h(
            'ul',
            { class: 'ws-list' },
            ...list.map((r) => h('li', {}, h('strong', {}, `${dateText(lang, r.started_at)} — ${r.status}`), ' ', wt(lang, 'runCounts', { created: r.created, updated: r.updated, withdrawn: r.withdrawn, rejected: r.rejected }), r.error ? h('p', { class: 'field-error' }, r.error) : null)),
          ),
        );
      }),
    );
    // A dry run: what the next import would do, nothing written — with the source's mapping, or
    // with an edited one to preview a change before declaring it.
    const showDryRun = (report: DryRun, previewed: boolean): void => {
      const n = (k: keyof DryRun['counts']): number => report.counts[k];
      runs.replaceChildren(
        h(
          'section',
          { class: 'ws-dry-run', 'aria-labelledby': `dry-${s.id}` },
          h('h3', { id: `dry-${s.id}` }, wt(lang, previewed ? 'dryRunPreviewTitle' : 'dryRunTitle', { name: s.name })),
          report.error ? h('p', { class: 'field-error' }, report.error) : null,
          report.status === 'not_modified' ? h('p', {}, wt(lang, 'dryRunNotModified')) : null,
          h('p', {}, wt(lang, 'dryRunCounts', { fetched: n('fetched'), created: n('created'), updated: n('updated'), unchanged: n('unchanged'), withdrawn: n('withdrawn'), rejected: n('rejected'), conflicts: n('conflicts') })),
          n('to_classify') ? h('p', {}, wt(lang, 'dryRunUnmapped', { n: n('to_classify') })) : null,
          report.rejects.length
            ? h('ul', { class: 'ws-rejects', 'aria-label': wt(lang, 'rejects') }, ...report.rejects.map((r) => h('li', {}, `${r.external_id ?? `#${r.position ?? '?'}`} — ${r.reason}`)))
            : null,
        ),
      );
      runs.querySelector<HTMLElement>('h3')?.setAttribute('tabindex', '-1');
      runs.querySelector<HTMLElement>('h3')?.focus();
    };
    const dryPath = `/api/v1/sources/${encodeURIComponent(s.id)}/runs?dry_run=true`;
    const dry = button(wt(lang, 'dryRun'), 'btn btn-small', { 'aria-label': `${wt(lang, 'dryRun')} : ${s.name}` });
    dry.addEventListener('click', () =>
      void busy(ctx, dry, async () => {
        showDryRun(await api.send<DryRun>('POST', dryPath), false);
      }),
    );
    let mapping: HTMLElement | null = null;
    if (s.mapping !== undefined && s.mapping !== null) {
      const editorId = `mapping-${s.id}`;
      const errorId = `mapping-error-${s.id}`;
      const editor = h('textarea', { id: editorId, class: 'ws-mapping-editor', rows: '12', spellcheck: 'false', 'aria-describedby': errorId });
      editor.value = JSON.stringify(s.mapping, null, 2);
      const problem = h('p', { id: errorId, class: 'field-error', role: 'alert' });
      const preview = button(wt(lang, 'previewMapping'), 'btn btn-small', { 'aria-label': `${wt(lang, 'previewMapping')} : ${s.name}` });
      preview.addEventListener('click', () =>
        void busy(ctx, preview, async () => {
          problem.textContent = '';
          let edited: unknown;
          try {
            edited = JSON.parse(editor.value);
          } catch {
            problem.textContent = wt(lang, 'mappingNotJson');
            editor.focus();
            return;
          }
          try {
            showDryRun(await api.send<DryRun>('POST', dryPath, { mapping: edited }), true);
          } catch (e) {
            problem.textContent = messageOf(e, lang);
            editor.focus();
          }
        }),
      );
      mapping = h(
        'details',
        { class: 'ws-mapping' },
        h('summary', {}, wt(lang, 'mapping')),
        h('label', { for: editorId }, wt(lang, 'mappingEdit')),
        editor,
        problem,
        h('div', { class: 'button-row' }, preview),
        h('p', { class: 'help' }, wt(lang, 'dryRunHelp')),
      );
    }
    return h(
      'li',
      { class: 'ws-item ws-source' },
      h('div', {}, h('strong', {}, s.name), ` (${s.format})`, h('p', { class: 'muted' }, s.last_run_at ? wt(lang, 'lastRun', { date: dateText(lang, s.last_run_at), status: s.last_run_status ?? '' }) : wt(lang, 'neverRun'))),
      h('div', { class: 'button-row' }, run, dry, showRuns),
      mapping,
      runs,
    );
  });
  const conflictItems = conflicts.map((c) => {
    const name = shown(c.current.properties.name);
    const current: Record<string, unknown> = c.current.properties;
    const ours = button(wt(lang, 'keepOurs'), 'btn btn-small', { 'aria-label': `${wt(lang, 'keepOurs')} : ${name}` });
    const theirs = button(wt(lang, 'takeTheirs'), 'btn btn-small btn-primary', { 'aria-label': `${wt(lang, 'takeTheirs')} : ${name}` });
    const resolve = (keep: 'ours' | 'feed', btn: HTMLButtonElement): void =>
      void busy(ctx, btn, async () => {
        await api.send('PATCH', `/api/v1/import-conflicts/${c.id}`, { status: 'resolved', keep });
        ctx.notices.show('imports', wt(lang, 'conflictResolved'), 'info');
        reload();
      });
    ours.addEventListener('click', () => resolve('ours', ours));
    theirs.addEventListener('click', () => resolve('feed', theirs));
    return h(
      'li',
      { class: 'ws-item ws-conflict' },
      h('h3', {}, name),
      h(
        'table',
        { class: 'ws-diff' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, wt(lang, 'field')), h('th', { scope: 'col' }, wt(lang, 'ours')), h('th', { scope: 'col' }, wt(lang, 'theirs')))),
        h('tbody', {}, ...c.fields.map((f) => h('tr', {}, h('th', { scope: 'row' }, f), h('td', {}, shown(f === 'geometry' ? c.current.geometry : current[f])), h('td', {}, shown(c.incoming[f]))))),
      ),
      h('div', { class: 'button-row' }, ours, theirs),
    );
  });
  main.replaceChildren(
    heading(wt(lang, 'imports')),
    h('section', { class: 'ws-panel', 'aria-labelledby': 'sources-title' }, h('h2', { id: 'sources-title' }, wt(lang, 'sources')), sources.length ? h('ul', { class: 'ws-list' }, ...sourceItems) : h('p', {}, wt(lang, 'sourcesEmpty'))),
    h('section', { class: 'ws-panel', 'aria-labelledby': 'conflicts-title' }, h('h2', { id: 'conflicts-title' }, wt(lang, 'conflicts')), conflicts.length ? h('ul', { class: 'ws-list' }, ...conflictItems) : h('p', {}, wt(lang, 'conflictsEmpty'))),
  );
}
