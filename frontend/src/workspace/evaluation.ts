// Evaluating an initiative with the grid (DOMINO-style): dimension by dimension, each criterion
// with its guiding question and a score on its scale or "not applicable"; the evidence; the
// API's messages next to the criterion they name. Below, every assessment, newest first: who,
// when, the evidence and the scores. Editors only (the API keeps assessments from moderators).

import type { Initiative, Schema } from '../api';
import { h } from '../dom';
import type { Lang } from '../i18n';
import { may } from './session';
import { wt } from './strings';
import { button, dateText, field, heading, loadFailed, showProblem, type Context } from './ui';

export type Criterion = Schema<'GridCriterionDoc'>;
export type Dimension = Schema<'GridDimensionDoc'>;

export type Assessment = Schema<'AssessmentDoc'>;

/** A score as words: the number (signed when positive on a scale that goes below 0), or "not applicable". */
export function scoreText(lang: Lang, score: number | null | undefined, scale?: { min: number }): string {
  if (score === undefined) return wt(lang, 'none');
  if (score === null) return wt(lang, 'notApplicable');
  const signed = score > 0 && (scale?.min ?? -1) < 0 ? `+${String(score)}` : String(score);
  return signed.replace('-', '−');
}

/** The scores of a form: `undefined` (not scored) left out, `null` for not applicable. */
export function scoresOf(chosen: Record<string, string | undefined>): Record<string, number | null> {
  const scores: Record<string, number | null> = {};
  for (const [slug, value] of Object.entries(chosen)) {
    if (value === undefined || value === '') continue;
    scores[slug] = value === 'na' ? null : Number(value);
  }
  return scores;
}

/** The id of an element about a criterion (slugs are lower-case words and hyphens). */
const idOf = (prefix: string, slug: string): string => `${prefix}-${slug}`;

function criterionControl(lang: Lang, c: Criterion, latest: number | null | undefined, editable: boolean): HTMLElement {
  const name = idOf('score', c.slug);
  const help = idOf('question', c.slug);
  const error = idOf('score', `${c.slug}-error`);
  const values: { value: string; label: string }[] = [{ value: '', label: wt(lang, 'notScored') }];
  for (let v = c.scale.min; v <= c.scale.max; v++) values.push({ value: String(v), label: scoreText(lang, v, c.scale) });
  values.push({ value: 'na', label: wt(lang, 'notApplicable') });
  const current = latest === undefined ? '' : latest === null ? 'na' : String(latest);
  const choices = values.map(({ value, label }, i) => {
    const id = `${name}-${String(i)}`;
    return h(
      'span',
      { class: 'ws-score' },
      h('input', { type: 'radio', name, id, value, checked: value === current, disabled: !editable, 'aria-describedby': `${help} ${error}` }),
      h('label', { for: id }, label),
    );
  });
  return h(
    'fieldset',
    { class: 'ws-criterion', 'data-criterion': c.slug },
    h('legend', {}, c.name),
    h('p', { class: 'help', id: help }, c.question),
    h('div', { class: 'ws-scores' }, ...choices),
    h('p', { class: 'field-error', id: error, hidden: true, 'data-pointers': `/scores/${c.slug}` }),
  );
}

function historyItem(lang: Lang, grid: Dimension[], a: Assessment, latest: boolean): HTMLElement {
  const known = new Set(grid.flatMap((d) => d.criteria.map((c) => c.slug)));
  const rows = grid.flatMap((d) =>
    d.criteria
      .filter((c) => c.slug in a.scores)
      .map((c) => h('tr', {}, h('td', {}, d.name), h('th', { scope: 'row' }, c.name), h('td', { class: 'ws-score-value' }, scoreText(lang, a.scores[c.slug], c.scale)))),
  );
  // Criteria retired from the grid since: their slug.
  for (const [slug, score] of Object.entries(a.scores)) {
    if (!known.has(slug)) rows.push(h('tr', {}, h('td', {}, wt(lang, 'none')), h('th', { scope: 'row' }, slug), h('td', { class: 'ws-score-value' }, scoreText(lang, score))));
  }
  return h(
    'li',
    { class: 'ws-assessment', 'data-assessment': a.id },
    h('h3', {}, wt(lang, 'assessmentBy', { author: a.assessor, date: dateText(lang, a.created_at) }), latest ? h('span', { class: 'ws-tag' }, ` ${wt(lang, 'latestAssessment')}`) : null),
    a.evidence ? h('p', { class: 'ws-evidence' }, wt(lang, 'evidenceSaid', { evidence: a.evidence })) : null,
    h(
      'table',
      { class: 'ws-diff ws-assessment-scores' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, wt(lang, 'dimension')), h('th', { scope: 'col' }, wt(lang, 'criterion')), h('th', { scope: 'col' }, wt(lang, 'scoreCol')))),
      h('tbody', {}, ...rows),
    ),
  );
}

/** The button row of an initiative's pages: back to the form, history, evaluation, links. */
export function initiativeTabs(ctx: Context, id: string, current: 'evaluate' | 'links'): HTMLElement {
  const row = h('div', { class: 'button-row' });
  const tabs: ['edit' | 'history' | 'evaluate' | 'links', string][] = [
    ['edit', ''],
    ['history', '/history'],
    ['evaluate', '/evaluate'],
    ['links', '/links'],
  ];
  for (const [label, suffix] of tabs) {
    if (label === current || (label === 'evaluate' && !may(ctx.session, 'editor'))) continue;
    const go = button(wt(ctx.lang, label));
    go.addEventListener('click', () => ctx.navigate(`/workspace/initiatives/${id}${suffix}`));
    row.append(go);
  }
  return row;
}

export async function showEvaluation(ctx: Context, main: HTMLElement, key: string): Promise<void> {
  const { lang, api } = ctx;
  if (!may(ctx.session, 'editor')) {
    main.replaceChildren(heading(wt(lang, 'evaluateTitle', { name: key })), h('p', { class: 'help', role: 'note' }, wt(lang, 'editorsOnly')));
    return;
  }
  let item: Initiative;
  let grid: Dimension[];
  let assessments: Assessment[];
  const path = `/api/v1/initiatives/${encodeURIComponent(key)}`;
  try {
    [item, grid, assessments] = await Promise.all([
      api.get<Initiative>(path),
      api.get<Schema<'GridDoc'>>(`/api/v1/evaluation/criteria?lang=${lang}`).then((g) => g.dimensions),
      api.get<{ assessments: Assessment[] }>(`${path}/assessments`).then((r) => r.assessments),
    ]);
  } catch (e) {
    main.replaceChildren(loadFailed(ctx, e, () => void showEvaluation(ctx, main, key)));
    return;
  }
  const latest = assessments[0];
  const summary = h('div', { class: 'form-summary', role: 'alert', hidden: true, tabindex: '-1' });
  const dimensions = grid.map((d) =>
    h(
      'fieldset',
      { class: 'field ws-dimension', 'data-dimension': d.slug },
      h('legend', {}, d.name),
      ...d.criteria.map((c) => criterionControl(lang, c, latest ? latest.scores[c.slug] : undefined, true)),
    ),
  );
  const evidence = field(lang, 'f-evidence', 'fEvidence', h('textarea', { rows: 4, maxlength: 10000 }), ['/evidence'], wt(lang, 'fEvidenceHelp'));
  evidence.input.value = latest?.evidence ?? '';
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, wt(lang, 'saveAssessment'));
  const form = h(
    'form',
    { class: 'form ws-evaluation', novalidate: true, 'aria-labelledby': 'ws-evaluate-title' },
    h('h2', { id: 'ws-evaluate-title' }, wt(lang, latest ? 'reassess' : 'assess')),
    h('p', { class: 'help' }, wt(lang, 'scaleHelp')),
    summary,
    ...dimensions,
    // After the criteria: an error about one criterion goes next to it, about the scores as a whole here.
    h('p', { class: 'field-error', id: 'f-scores-error', hidden: true, 'data-pointers': '/scores' }),
    evidence.wrap,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen: Record<string, string | undefined> = {};
    for (const d of grid) for (const c of d.criteria) chosen[c.slug] = form.querySelector<HTMLInputElement>(`input[name="${idOf('score', c.slug)}"]:checked`)?.value;
    submit.disabled = true;
    api
      .send('POST', `/api/v1/initiatives/${encodeURIComponent(item.id)}/assessments`, { scores: scoresOf(chosen), evidence: evidence.input.value })
      .then(async () => {
        ctx.notices.show('evaluation', wt(lang, 'assessmentSaved'), 'info');
        await showEvaluation(ctx, main, item.id);
      })
      .catch((error: unknown) => showProblem(lang, form, summary, error))
      .finally(() => (submit.disabled = false));
  });
  const history = h(
    'section',
    { class: 'ws-panel', 'aria-labelledby': 'ws-assessments-title' },
    h('h2', { id: 'ws-assessments-title' }, wt(lang, 'assessmentsTitle', { n: assessments.length })),
    assessments.length ? h('ol', { class: 'ws-list ws-assessments' }, ...assessments.map((a, i) => historyItem(lang, grid, a, i === 0))) : h('p', { class: 'muted' }, wt(lang, 'noAssessment')),
  );
  main.replaceChildren(heading(wt(lang, 'evaluateTitle', { name: item.name })), initiativeTabs(ctx, item.id, 'evaluate'), h('section', { class: 'ws-panel' }, form), history);
}
