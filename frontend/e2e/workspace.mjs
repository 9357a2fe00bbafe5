// Browser scenarios of the workspace at /workspace, run by run.mjs in the same browser as the
// map's. People are created with `archipel user create --password-stdin`; each scenario makes
// the initiatives it changes, so the map's scenarios keep their fixtures. Screenshots for the
// README's tour go to docs/screenshots/.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIPEL_BIN, OUT, REPO } from './harness.mjs';

const SHOTS = join(REPO, 'docs', 'screenshots');
const PASSWORD = 'un mot de passe assez long';
const PEOPLE = {
  editor: { email: 'edith@mairie.example', name: 'Édith Éditrice', role: 'editor' },
  moderator: { email: 'momo@mairie.example', name: 'Momo Modère', role: 'moderator' },
  admin: { email: 'ada@mairie.example', name: 'Ada Admin', role: 'admin' },
};
let peopleMade = false;

function makePeople(h) {
  if (peopleMade) return;
  for (const p of Object.values(PEOPLE)) {
    const made = spawnSync(ARCHIPEL_BIN, ['user', 'create', '--email', p.email, '--name', p.name, '--role', p.role, '--password-stdin'], {
      env: { ...process.env, DATABASE_URL: h.databaseUrl },
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    if (made.status !== 0) throw new Error(`archipel user create ${p.email}: ${made.stderr}`);
  }
  peopleMade = true;
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Logs in through the form (French labels) and waits for the navigation. */
async function logIn(page, h, who, path = '/workspace') {
  makePeople(h);
  await page.goto(`${h.baseUrl}${path}`);
  await page.getByLabel('Adresse e-mail').fill(PEOPLE[who].email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('navigation', { name: 'Espace de travail' }).waitFor();
}

async function created(h, body) {
  const { status, body: made } = await h.api('/api/v1/initiatives', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(status, 201, JSON.stringify(made));
  return made;
}

/** `archipel …` on the scenarios' database; its output. */
function archipel(h, args) {
  const done = spawnSync(ARCHIPEL_BIN, args, { env: { ...process.env, DATABASE_URL: h.databaseUrl }, encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`archipel ${args.join(' ')}: ${done.stderr}${done.stdout}`);
  return done.stdout;
}

/**
 * A GeoJSON feed in a file, declared as source `id` (as tests/it/imports.rs does, through the
 * CLI here), then imported; called again with other features, it imports them again.
 */
function importFeed(h, id, features) {
  declareFeed(h, id, features);
  archipel(h, ['import', id]);
}

/** Writes the feed of source `id` and declares it, without importing it. */
function declareFeed(h, id, features) {
  const dir = join(OUT, 'feeds');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id}.geojson`);
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }));
  const mapping = join(dir, `${id}.mapping.json`);
  writeFileSync(mapping, JSON.stringify({ default_category: 'shared-garden', default_country: 'FR' }));
  archipel(h, ['source', 'add', id, '--format', 'geojson', '--url', file, '--mapping', mapping, '--name', `Flux ${id}`, '--licence', 'ODbL-1.0', '--attribution', 'e2e']);
}

const feature = (id, lon, lat, properties) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, lat] }, properties });

/** The initiative of a source's record, found by its exact name. */
async function byName(h, name) {
  const { status, body } = await h.api(`/api/v1/initiatives?q=${encodeURIComponent(name)}&limit=50`);
  assert.equal(status, 200, JSON.stringify(body));
  const found = body.items.find((i) => i.name === name);
  assert.ok(found, `${name} is listed: ${body.items.map((i) => i.name).join(', ')}`);
  return found;
}

/**
 * The API as the administrator of the scenarios, through a session like the workspace's (cookie
 * and CSRF token): for what the harness's editor token may not do, such as changing the grid.
 */
async function asAdmin(h) {
  makePeople(h);
  const opened = await fetch(`${h.baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: h.baseUrl },
    body: JSON.stringify({ email: PEOPLE.admin.email, password: PASSWORD }),
  });
  const session = await opened.json();
  assert.equal(opened.status, 200, JSON.stringify(session));
  const cookie = opened.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (path, init = {}) => {
    const r = await fetch(`${h.baseUrl}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', Origin: h.baseUrl, Cookie: cookie, 'X-CSRF-Token': session.csrf_token, ...(init.headers ?? {}) },
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

/** axe-core: no serious or critical violation. */
async function noSeriousViolation(page, axeSource, context) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource());
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  assert.deepEqual(violations, [], `axe found serious violations on the ${context}:\n${JSON.stringify(violations, null, 2)}`);
}

export function workspaceScenarios(scenario, { axeSource, assertPageHeaders }) {
  scenario('workspace-logged-out-goes-to-login', async (page, h) => {
    const response = await page.goto(`${h.baseUrl}/workspace/duplicates`);
    assertPageHeaders(response, "'self'");
    await page.getByRole('heading', { name: 'Connexion à l’espace de travail' }).waitFor();
    await page.getByLabel('Adresse e-mail').waitFor();
    await page.getByLabel('Mot de passe').waitFor();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    assert.equal(await page.getByRole('navigation').count(), 0);
    await shot(page, 'workspace-login');
    // In English.
    await page.goto(`${h.baseUrl}/workspace?lang=en`);
    await page.getByLabel('E-mail').waitFor();
    await page.getByLabel('Password').waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    // A wrong password: the message, next to nothing that says which field was wrong.
    makePeople(h);
    await page.getByLabel('E-mail').fill(PEOPLE.editor.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-summary', { hasText: 'wrong e-mail or password' }).waitFor();
  });

  scenario('workspace-login', async (page, h) => {
    await logIn(page, h, 'editor');
    const nav = page.getByRole('navigation', { name: 'Espace de travail' });
    for (const item of ['À traiter', 'À vérifier', 'Doublons', 'Nouvelle initiative']) await nav.getByRole('link', { name: new RegExp(`^${item}`) }).waitFor();
    assert.equal(await nav.getByRole('link', { name: /^Personnes/ }).count(), 0, 'users are for administrators');
    await page.getByRole('heading', { name: 'À traiter', level: 1 }).waitFor();
    // The session survives a reload; logging out ends it.
    await page.reload();
    await nav.waitFor();
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
    assert.equal(session, 401);
  });

  scenario('workspace-publish-suggestion', async (page, h) => {
    const name = `Boîte à dons ${Date.now()}`;
    const sent = await fetch(`${h.baseUrl}/api/v1/suggestions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, lat: 45.7601, lon: 4.8402, categories: ['give-box'], description: 'Une boîte à dons devant la bibliothèque.', submitter_email: 'visiteur@example.org', honeypot: '' }),
    });
    const answer = await sent.text();
    assert.equal(sent.status, 201, answer);
    const { id } = JSON.parse(answer);
    await logIn(page, h, 'moderator');
    // The count of what waits, in the navigation.
    await page.locator('[data-count="inbox"]:not([hidden])').waitFor();
    await page.getByRole('button', { name: `Ouvrir « ${name} »` }).click();
    await page.getByRole('heading', { name, level: 2 }).waitFor();
    await page.getByText('Une boîte à dons devant la bibliothèque.').waitFor();
    await page.locator('.ws-map canvas').waitFor();
    await shot(page, 'workspace-inbox');
    await page.getByRole('button', { name: 'Publier' }).click();
    await page.getByText(`« ${name} » est publiée sur la carte.`).waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${id}`);
    assert.equal(body.moderation, 'published');
    // On the public map: its card opens from the URL.
    const { body: read } = await h.api(`/api/v1/initiatives/${id}`);
    await page.goto(`${h.baseUrl}/?i=${read.slug}`);
    await page.locator('#card').getByRole('heading', { name }).waitFor({ timeout: 20000 });
  });

  scenario('workspace-correct-a-field', async (page, h) => {
    const item = await created(h, { name: 'Atelier vélo du Rhône', lat: 45.75, lon: 4.85, categories: ['repair-cafe'] });
    await logIn(page, h, 'editor', `/workspace/initiatives/${item.slug}`);
    await page.getByRole('heading', { name: 'Modifier « Atelier vélo du Rhône »' }).waitFor();
    // The API's message shows next to the field.
    await page.getByLabel('Courriel').fill('pas-une-adresse');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    const error = page.locator('#f-email-error');
    await error.waitFor();
    assert.ok((await error.innerText()).length > 5);
    assert.equal(await page.getByLabel('Courriel').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Courriel').fill('atelier@example.org');
    await page.getByLabel('Horaires (syntaxe OpenStreetMap)').fill('Mo-Su 00:00-24:00');
    await page.getByText('Aperçu : Ouvert 24 h/24, 7 j/7').waitFor();
    // Placed on the map by a click.
    await page.waitForFunction(() => window.__wsMap?.loaded(), null, { timeout: 20000 });
    await page.locator('.ws-map').scrollIntoViewIfNeeded();
    const point = await page.evaluate(() => {
      const m = window.__wsMap;
      const p = m.project([4.853, 45.7485]);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    });
    await page.mouse.click(point.x, point.y);
    assert.ok(Math.abs(Number(await page.getByLabel('Latitude').inputValue()) - 45.7485) < 1e-4, await page.getByLabel('Latitude').inputValue());
    await shot(page, 'workspace-editor');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Modifications enregistrées.').waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${item.id}`);
    assert.equal(body.contact.email, 'atelier@example.org');
    assert.equal(body.opening_hours, 'Mo-Su 00:00-24:00');
    assert.ok(Math.abs(body.point.lon - 4.853) < 1e-4, JSON.stringify(body.point));
  });

  scenario('workspace-restore-a-version', async (page, h) => {
    const item = await created(h, { name: 'Jardin des Canuts', lat: 45.77, lon: 4.83, opening_hours: 'Sa 10:00-12:00' });
    const patched = await h.api(`/api/v1/initiatives/${item.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Jardin renommé par erreur', opening_hours: null }) });
    assert.equal(patched.status, 200);
    await logIn(page, h, 'editor', `/workspace/initiatives/${item.id}/history`);
    await page.getByRole('heading', { name: 'Historique de « Jardin renommé par erreur »' }).waitFor();
    await page.getByRole('cell', { name: 'Jardin des Canuts' }).waitFor();
    await shot(page, 'workspace-history');
    await page.getByRole('button', { name: /^Restaurer cette version/ }).last().click();
    await page.getByText('Version restaurée : une nouvelle révision a été écrite.').waitFor();
    await page.getByRole('heading', { name: 'Historique de « Jardin des Canuts »' }).waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${item.id}`);
    assert.equal(body.name, 'Jardin des Canuts');
    assert.equal(body.opening_hours, 'Sa 10:00-12:00');
  });

  scenario('workspace-merge-duplicates', async (page, h) => {
    // Ours, typed in the directory; the feed's, 30 m away with the same website: a candidate.
    const ours = await created(h, { name: 'Jardin des Lilas', lat: 45.7405, lon: 4.862, categories: ['shared-garden'], opening_hours: 'Sa 10:00-12:00', contact: { website: 'https://lilas.example.org', email: 'lilas@example.org' } });
    importFeed(h, 'e2e-doublons', [
      feature('lilas-1', 4.8623, 45.7407, { name: 'Jardin partagé des Lilas', description: 'Potager partagé du quartier des Lilas.', website: 'https://lilas.example.org/', phone: '+33 4 72 00 00 01', email: 'contact@lilas.example.org' }),
    ]);
    const theirs = await byName(h, 'Jardin partagé des Lilas');
    await logIn(page, h, 'editor', '/workspace/duplicates');
    await page.getByRole('heading', { name: 'Doublons', level: 1 }).waitFor();
    await page.getByRole('button', { name: /^Ouvrir .*Jardin partagé des Lilas/ }).click();
    const pair = page.getByRole('region', { name: /Jardin.*Lilas ↔ Jardin.*Lilas/ });
    await pair.waitFor();
    // The score explained: distance, names, what they share.
    const why = pair.getByRole('list', { name: 'Pourquoi ces deux fiches' });
    assert.match(await why.innerText(), /\d+ m l’une de l’autre[\s\S]*noms semblables à \d+ %[\s\S]*en commun : site web/);
    await pair.locator('.ws-map canvas').waitFor();
    // Keep ours; take the feed's e-mail by choice, its phone and description by default (ours has none).
    await pair.getByRole('radio', { name: 'Garder « Jardin des Lilas »' }).check();
    const email = pair.getByRole('group', { name: 'Courriel' });
    assert.equal(await email.getByRole('radio', { name: /^lilas@example\.org/ }).isChecked(), true, 'the kept entry’s value by default');
    await email.getByRole('radio', { name: /^contact@lilas\.example\.org/ }).check();
    assert.equal(await pair.getByRole('group', { name: 'Téléphone' }).getByRole('radio', { name: /^\+33 4 72 00 00 01/ }).isChecked(), true);
    assert.equal(await pair.getByRole('group', { name: /^Horaires/ }).getByRole('radio', { name: /^Sa 10:00-12:00/ }).isChecked(), true);
    await pair.getByText('« Jardin partagé des Lilas » sera fusionnée dans « Jardin des Lilas ».').waitFor();
    await noSeriousViolation(page, axeSource, 'duplicate pair');
    await page.evaluate(() => document.getElementById('pair-title')?.scrollIntoView());
    await shot(page, 'workspace-merge');
    await pair.getByRole('button', { name: 'Fusionner' }).click();
    await page.getByText('Fusion faite : « Jardin des Lilas » est gardée.').waitFor();
    await page.getByRole('heading', { name: 'Modifier « Jardin des Lilas »' }).waitFor();
    const { body: kept } = await h.api(`/api/v1/initiatives/${ours.id}`);
    assert.equal(kept.contact.email, 'contact@lilas.example.org');
    assert.equal(kept.contact.phone, '+33 4 72 00 00 01');
    assert.equal(kept.description, 'Potager partagé du quartier des Lilas.');
    assert.equal(kept.opening_hours, 'Sa 10:00-12:00');
    assert.equal(kept.point.lat, 45.7405, 'the kept place');
    // The merged one's public address answers 301 to the kept one; a browser follows it.
    const moved = await fetch(`${h.baseUrl}/api/v1/initiatives/${theirs.slug}`, { redirect: 'manual' });
    assert.equal(moved.status, 301);
    assert.match(moved.headers.get('location') ?? '', new RegExp(`/api/v1/initiatives/(${ours.id}|${ours.slug})$`));
    const followed = await page.goto(`${h.baseUrl}/api/v1/initiatives/${theirs.slug}`);
    assert.equal((await followed.json()).id, ours.id);
    // The map: its old link opens the kept one, and only the kept one is drawn there.
    await page.goto(`${h.baseUrl}/?i=${theirs.slug}`);
    await page.locator('#card').getByRole('heading', { name: 'Jardin des Lilas' }).waitFor({ timeout: 20000 });
    const ids = await page.waitForFunction(
      () => {
        const m = window.__archipel?.map;
        if (!m || !m.loaded() || m.isMoving() || !m.areTilesLoaded() || m.getZoom() < 14) return null;
        const drawn = m.queryRenderedFeatures({ layers: ['ar-initiatives'] }).map((f) => f.properties.id);
        return drawn.length ? drawn : null;
      },
      null,
      { timeout: 20000, polling: 200 },
    );
    const drawn = await ids.jsonValue();
    assert.ok(drawn.includes(ours.id), `the kept one is drawn: ${drawn}`);
    assert.ok(!drawn.includes(theirs.id), `the merged one is not: ${drawn}`);
  });

  scenario('workspace-resolve-import-conflicts', async (page, h) => {
    const before = [
      feature('g1', 4.827, 45.762, { name: 'Grainothèque du marché Saint-Paul', description: 'Graines libres.' }),
      feature('g2', 4.833, 45.767, { name: 'Compost collectif des Terreaux', description: 'Un bac à compost.' }),
    ];
    importFeed(h, 'e2e-conflits', before);
    const seeds = await byName(h, 'Grainothèque du marché Saint-Paul');
    const compost = await byName(h, 'Compost collectif des Terreaux');
    // The town hall corrects both; then the feed changes the same field.
    for (const [item, description] of [[seeds, 'Graines libres, à la mairie annexe.'], [compost, 'Bac à compost, clé à la boulangerie.']]) {
      const { status, body } = await h.api(`/api/v1/initiatives/${item.id}`, { method: 'PATCH', body: JSON.stringify({ description }) });
      assert.equal(status, 200, JSON.stringify(body));
    }
    importFeed(h, 'e2e-conflits', [
      feature('g1', 4.827, 45.762, { name: 'Grainothèque du marché Saint-Paul', description: 'Graines libres, troc le samedi matin.' }),
      feature('g2', 4.833, 45.767, { name: 'Compost collectif des Terreaux', description: 'Un bac à compost, ouvert à tous.' }),
    ]);
    await logIn(page, h, 'admin', '/workspace/imports');
    await page.getByRole('heading', { name: 'Imports', level: 1 }).waitFor();
    const conflict = (name) => page.locator('.ws-conflict', { has: page.getByRole('heading', { name }) });
    await conflict('Grainothèque du marché Saint-Paul').getByRole('cell', { name: 'Graines libres, troc le samedi matin.' }).waitFor();
    await conflict('Compost collectif des Terreaux').getByRole('cell', { name: 'Bac à compost, clé à la boulangerie.' }).waitFor();
    await noSeriousViolation(page, axeSource, 'imports with conflicts');
    await shot(page, 'workspace-imports');
    await conflict('Grainothèque du marché Saint-Paul').getByRole('button', { name: /^Prendre celle du flux/ }).click();
    await page.getByText('Conflit résolu.').waitFor();
    await conflict('Grainothèque du marché Saint-Paul').waitFor({ state: 'detached' });
    await conflict('Compost collectif des Terreaux').getByRole('button', { name: /^Garder la nôtre/ }).click();
    await page.getByText('Aucun conflit ouvert.').waitFor();
    assert.equal((await h.api(`/api/v1/initiatives/${seeds.id}`)).body.description, 'Graines libres, troc le samedi matin.');
    assert.equal((await h.api(`/api/v1/initiatives/${compost.id}`)).body.description, 'Bac à compost, clé à la boulangerie.');
    assert.equal((await h.api('/api/v1/import-conflicts')).body.conflicts.length, 0);
    // The feed gains a record: a dry run says what an import would do now, and writes nothing.
    declareFeed(h, 'e2e-conflits', [
      feature('g1', 4.827, 45.762, { name: 'Grainothèque du marché Saint-Paul', description: 'Graines libres, troc le samedi matin.' }),
      feature('g2', 4.833, 45.767, { name: 'Compost collectif des Terreaux', description: 'Un bac à compost, ouvert à tous.' }),
      feature('g3', 4.829, 45.764, { name: 'Boîte à graines de la Martinière' }),
    ]);
    const revisions = (await h.api(`/api/v1/initiatives/${seeds.id}/revisions`)).body.revisions.length;
    await page.getByRole('button', { name: 'Essai à blanc : Flux e2e-conflits' }).click();
    const report = page.getByRole('region', { name: 'Essai à blanc de « Flux e2e-conflits » : rien n’a été écrit' });
    await report.getByText(/^3 lues : 1 à créer/).waitFor();
    assert.equal((await h.api(`/api/v1/initiatives?q=${encodeURIComponent('Boîte à graines de la Martinière')}`)).body.items.length, 0, 'nothing created');
    await noSeriousViolation(page, axeSource, 'imports with a dry run report');
    assert.equal((await h.api(`/api/v1/initiatives/${seeds.id}/revisions`)).body.revisions.length, revisions, 'nothing written');
    // A mapping change is tried before it is declared: edit it, try it, nothing is written.
    const source = page.locator('li.ws-source', { hasText: 'Flux e2e-conflits' });
    await source.locator('summary').click();
    const editor = source.getByLabel('Correspondance (JSON), modifiable pour un essai');
    const original = await editor.inputValue();
    const tryIt = source.getByRole('button', { name: 'Essayer cette correspondance : Flux e2e-conflits' });
    await editor.fill('{ pas du json');
    await tryIt.click();
    await source.getByText('Ce n’est pas du JSON valide').waitFor();
    const edited = JSON.parse(original);
    edited.fields = { ...(edited.fields ?? {}), name: 'nom_absent_du_flux' };
    await editor.fill(JSON.stringify(edited, null, 2));
    await tryIt.click();
    const previewed = page.getByRole('region', { name: 'Essai à blanc de « Flux e2e-conflits » avec la correspondance modifiée : rien n’a été écrit' });
    // No record has a name under that mapping: nothing would be created, and the import would
    // refuse to withdraw what the feed brought before.
    await previewed.getByText(/: 0 à créer/).waitFor();
    await previewed.getByText(/refusing to withdraw/).waitFor();
    // The declared mapping is unchanged: a plain dry run still finds the new record.
    await page.getByRole('button', { name: 'Essai à blanc : Flux e2e-conflits' }).click();
    await report.getByText(/^3 lues : 1 à créer/).waitFor();
    await noSeriousViolation(page, axeSource, 'imports with a mapping preview');
    assert.equal((await h.api(`/api/v1/initiatives/${seeds.id}/revisions`)).body.revisions.length, revisions, 'nothing written by the preview');
  });

  scenario('workspace-draw-a-garden-area', async (page, h) => {
    const garden = await created(h, { name: 'Jardin partagé de la Sauvegarde', lat: 45.781, lon: 4.806, categories: ['shared-garden'] });
    await logIn(page, h, 'editor', `/workspace/initiatives/${garden.id}`);
    await page.getByRole('heading', { name: 'Modifier « Jardin partagé de la Sauvegarde »' }).waitFor();
    await page.getByRole('radio', { name: /^Une surface/ }).check();
    await page.getByText('Cliquez sur la carte pour poser le premier coin de la surface.').waitFor();
    await page.waitForFunction(() => window.__wsMap?.loaded(), null, { timeout: 20000 });
    await page.locator('.ws-map').scrollIntoViewIfNeeded();
    const screen = (lon, lat) =>
      page.evaluate(([lon, lat]) => {
        const m = window.__wsMap;
        const p = m.project([lon, lat]);
        const r = m.getCanvas().getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      }, [lon, lat]);
    const corners = [
      [4.8056, 45.7807],
      [4.8064, 45.7807],
      [4.8064, 45.7813],
      [4.8056, 45.7813],
    ];
    for (const [lon, lat] of corners) {
      const at = await screen(lon, lat);
      await page.mouse.click(at.x, at.y);
    }
    await page.getByText('4 coin(s) posé(s).', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Fermer la surface' }).click();
    await page.getByText('Surface fermée, 4 coins.', { exact: false }).waitFor();
    // Edit: drag the third corner east.
    const box = await page.locator('.ws-vertex[data-corner="2"]').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 5; i++) await page.mouse.move(box.x + box.width / 2 + 8 * i, box.y + box.height / 2, { steps: 2 });
    await page.mouse.up();
    const drawn = JSON.parse(await page.getByLabel('Surface en GeoJSON').inputValue());
    assert.equal(drawn.type, 'Polygon');
    assert.ok(drawn.coordinates[0][2][0] > 4.8064 + 1e-5, `the dragged corner moved east: ${JSON.stringify(drawn.coordinates[0][2])}`);
    await noSeriousViolation(page, axeSource, 'editor drawing an area');
    await shot(page, 'workspace-area');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Modifications enregistrées.').waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${garden.id}`);
    assert.equal(body.geometry.type, 'Polygon', JSON.stringify(body.geometry));
    assert.equal(body.geometry.coordinates[0].length, 5);
    assert.ok(body.geometry.coordinates[0].some(([lon]) => lon > 4.8064 + 1e-5), 'the dragged corner is stored');
    assert.ok(body.point.lon > 4.8056 && body.point.lon < 4.808 && body.point.lat > 45.7807 && body.point.lat < 45.7813, `the point is inside: ${JSON.stringify(body.point)}`);
    // Opened again, it is an area with its four corners.
    await page.getByText('Surface fermée, 4 coins.', { exact: false }).waitFor();
    assert.equal(await page.getByRole('radio', { name: /^Une surface/ }).isChecked(), true);
  });

  scenario('workspace-save-after-someone-else-412', async (page, h) => {
    const item = await created(h, { name: 'Bricothèque des Brotteaux', lat: 45.767, lon: 4.858, categories: ['tool-library'] });
    await logIn(page, h, 'editor', `/workspace/initiatives/${item.id}`);
    await page.getByRole('heading', { name: 'Modifier « Bricothèque des Brotteaux »' }).waitFor();
    // Someone else saves in the meantime.
    const other = await h.api(`/api/v1/initiatives/${item.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Bricothèque des Brotteaux (mairie)' }) });
    assert.equal(other.status, 200);
    await page.getByLabel('Téléphone').fill('+33 4 72 11 22 33');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Quelqu’un a modifié cette initiative depuis que vous l’avez ouverte', { exact: false }).waitFor();
    assert.equal((await h.api(`/api/v1/initiatives/${item.id}`)).body.contact.phone, null, 'nothing was overwritten');
    await noSeriousViolation(page, axeSource, 'editor after a 412');
    await page.getByRole('button', { name: 'Recharger l’initiative' }).click();
    await page.getByRole('heading', { name: 'Modifier « Bricothèque des Brotteaux (mairie) »' }).waitFor();
    await page.getByLabel('Téléphone').fill('+33 4 72 11 22 33');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Modifications enregistrées.').waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${item.id}`);
    assert.equal(body.contact.phone, '+33 4 72 11 22 33');
    assert.equal(body.name, 'Bricothèque des Brotteaux (mairie)');
  });

  scenario('workspace-evaluate-an-initiative', async (page, h) => {
    const item = await created(h, { name: 'Ressourcerie des Pentes', lat: 45.771, lon: 4.832, categories: ['repair-cafe'] });
    await logIn(page, h, 'editor', `/workspace/initiatives/${item.id}`);
    await page.getByRole('heading', { name: 'Modifier « Ressourcerie des Pentes »' }).waitFor();
    await page.getByRole('button', { name: 'Évaluer' }).click();
    await page.getByRole('heading', { name: 'Évaluer « Ressourcerie des Pentes »', level: 1 }).waitFor();
    await page.getByText('Pas encore évaluée.').waitFor();
    // Nothing scored: the API's message below the grid.
    await page.getByRole('button', { name: 'Enregistrer l’évaluation' }).click();
    const none = page.locator('#f-scores-error');
    await none.waitFor();
    assert.match(await none.innerText(), /au moins une note/);
    const group = (name) => page.getByRole('group', { name, exact: true });
    // Each criterion with its guiding question.
    await group('Durée de vie des biens').getByText(/fait-elle durer les objets/).waitFor();
    await group('Durée de vie des biens').getByLabel('+2', { exact: true }).check();
    await group('Déchets évités').getByLabel('+1', { exact: true }).check();
    await group('Effets rebond').getByLabel('−1', { exact: true }).check();
    await group('Déplacements induits').getByLabel('sans objet', { exact: true }).check();
    await page.getByLabel('Justification (sources, observations, entretiens)').fill('Visite du 12 mars : 340 objets réparés en 2025.');
    await noSeriousViolation(page, axeSource, 'evaluation form');
    // The grid changed meanwhile (an administrator narrowed a scale): the message next to that criterion.
    const admin = await asAdmin(h);
    const grid = (await admin('/api/v1/evaluation/criteria')).body;
    // Its place in its dimension kept (positions count from 1, as seeded), so that the grid reads the same after.
    const rebound = grid.dimensions.flatMap((d) => d.criteria.map((c, i) => ({ ...c, dimension: d.slug, position: i + 1 }))).find((c) => c.slug === 'rebound-effects');
    const revise = (min) =>
      admin('/api/v1/evaluation/criteria/rebound-effects', {
        method: 'PUT',
        body: JSON.stringify({ dimension: rebound.dimension, name: { fr: rebound.name_fr, en: rebound.name_en }, question: { fr: rebound.question_fr, en: rebound.question_en }, scale: { min, max: rebound.scale.max }, position: rebound.position }),
      });
    const narrowed = await revise(0);
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    try {
      await page.getByRole('button', { name: 'Enregistrer l’évaluation' }).click();
      const inline = page.locator('#score-rebound-effects-error');
      await inline.waitFor();
      assert.ok((await inline.innerText()).length > 5);
      assert.equal(await page.locator('#f-scores-error').isVisible(), false, 'the message is next to the criterion, not below the grid');
      assert.equal((await h.api(`/api/v1/initiatives/${item.id}/assessments`)).body.assessments.length, 0, 'nothing recorded');
      await noSeriousViolation(page, axeSource, 'evaluation form with an error');
    } finally {
      const restored = await revise(rebound.scale.min);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
    }
    const after = (await admin('/api/v1/evaluation/criteria')).body;
    assert.deepEqual(
      after.dimensions.map((d) => d.criteria.map((c) => `${c.slug} ${String(c.scale.min)}..${String(c.scale.max)}`)),
      grid.dimensions.map((d) => d.criteria.map((c) => `${c.slug} ${String(c.scale.min)}..${String(c.scale.max)}`)),
      'the grid reads as before',
    );
    await group('Effets rebond').getByLabel('0', { exact: true }).check();
    await page.getByRole('button', { name: 'Enregistrer l’évaluation' }).click();
    await page.getByText('Évaluation enregistrée.').waitFor();
    await page.getByRole('heading', { name: 'Évaluations (1)' }).waitFor();
    const { body } = await h.api(`/api/v1/initiatives/${item.id}/assessments`);
    assert.equal(body.assessments.length, 1);
    assert.deepEqual(body.assessments[0].scores, { 'longer-life': 2, 'waste-avoided': 1, 'rebound-effects': 0, 'transport-induced': null });
    assert.equal(body.assessments[0].evidence, 'Visite du 12 mars : 340 objets réparés en 2025.');
    assert.equal(body.assessments[0].assessor, PEOPLE.editor.name);
    // After a reload: the latest scores fill the form, the history says who, when and what.
    await page.reload();
    await page.getByRole('heading', { name: 'Évaluer « Ressourcerie des Pentes »', level: 1 }).waitFor();
    assert.equal(await group('Durée de vie des biens').getByLabel('+2', { exact: true }).isChecked(), true);
    assert.equal(await group('Déplacements induits').getByLabel('sans objet', { exact: true }).isChecked(), true);
    assert.equal(await page.getByLabel('Justification (sources, observations, entretiens)').inputValue(), 'Visite du 12 mars : 340 objets réparés en 2025.');
    const latest = page.locator('.ws-assessment').first();
    await latest.getByRole('heading', { name: /^Évaluation de Édith Éditrice, le .*\(la plus récente\)$/ }).waitFor();
    await latest.getByText('Justification : Visite du 12 mars', { exact: false }).waitFor();
    await latest.getByRole('row', { name: /Durée de vie des biens \+2/ }).waitFor();
    await latest.getByRole('row', { name: /Déplacements induits sans objet/ }).waitFor();
    await noSeriousViolation(page, axeSource, 'evaluation with its history');
    await shot(page, 'workspace-evaluate');
    // A moderator neither sees the button nor the grid.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await logIn(page, h, 'moderator', `/workspace/initiatives/${item.id}`);
    await page.getByRole('heading', { name: 'Modifier « Ressourcerie des Pentes »' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Évaluer' }).count(), 0);
    await page.goto(`${h.baseUrl}/workspace/initiatives/${item.id}/evaluate`);
    await page.getByText('L’évaluation est réservée aux personnes qui éditent.').waitFor();
  });

  scenario('workspace-link-two-initiatives', async (page, h) => {
    const network = await created(h, { name: 'Zéphyr réseau des ateliers', lat: 45.765, lon: 4.835, categories: ['repair-cafe'] });
    const member = await created(h, { name: 'Zéphyr atelier vélo', lat: 45.766, lon: 4.836, categories: ['repair-cafe'] });
    await logIn(page, h, 'editor', `/workspace/initiatives/${member.id}`);
    await page.getByRole('heading', { name: 'Modifier « Zéphyr atelier vélo »' }).waitFor();
    await page.getByRole('button', { name: 'Liens' }).click();
    await page.getByRole('heading', { name: 'Liens de « Zéphyr atelier vélo »', level: 1 }).waitFor();
    await page.getByText('Aucun lien pour l’instant.').waitFor();
    await page.getByLabel('Cette initiative est…').selectOption('member_of');
    await page.getByLabel('Autre initiative (nom)').fill('Zéphyr');
    const found = page.getByRole('group', { name: 'Initiatives trouvées' });
    // Itself first: the API refuses, the message next to the search.
    await found.getByLabel(/^Zéphyr atelier vélo.*celle-ci$/).check();
    await page.getByRole('button', { name: 'Ajouter le lien' }).click();
    const toError = page.locator('#l-search-error');
    await toError.waitFor();
    assert.match(await toError.innerText(), /elle-même/);
    await found.getByLabel(/^Zéphyr réseau des ateliers/).check();
    await page.getByLabel('Note (facultative)').fill('Adhérent depuis la création');
    await page.getByLabel('Depuis le (facultatif)').fill('2024-03-01');
    await page.getByRole('button', { name: 'Ajouter le lien' }).click();
    await page.getByText('Lien ajouté.').waitFor();
    await page.getByRole('heading', { name: 'Initiatives liées (1)' }).waitFor();
    const item = page.locator('.ws-link').first();
    await item.getByText('Membre de', { exact: true }).waitFor();
    await item.getByText('Adhérent depuis la création').waitFor();
    await item.getByText(/^depuis le 1(er)? mars 2024$/).waitFor();
    await noSeriousViolation(page, axeSource, 'links');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'workspace-links');
    // Again: already linked so, said in the form.
    await page.getByLabel('Cette initiative est…').selectOption('member_of');
    await page.getByLabel('Autre initiative (nom)').fill('Zéphyr réseau');
    await page.getByRole('group', { name: 'Initiatives trouvées' }).getByLabel(/^Zéphyr réseau des ateliers/).check();
    await page.getByRole('button', { name: 'Ajouter le lien' }).click();
    await page.locator('.ws-link-form .form-summary', { hasText: 'déjà liées' }).waitFor();
    // The other side: "has as member", reached through the link.
    await item.getByRole('link', { name: 'Zéphyr réseau des ateliers' }).click();
    await page.getByRole('heading', { name: 'Modifier « Zéphyr réseau des ateliers »' }).waitFor();
    await page.getByRole('button', { name: 'Liens' }).click();
    await page.getByRole('heading', { name: 'Liens de « Zéphyr réseau des ateliers »', level: 1 }).waitFor();
    const other = page.locator('.ws-link').first();
    await other.getByText('A pour membre', { exact: true }).waitFor();
    await other.getByRole('link', { name: 'Zéphyr atelier vélo' }).waitFor();
    // On the public card.
    await page.goto(`${h.baseUrl}/?i=${member.slug}`);
    await page.locator('#card .card-links').getByRole('link', { name: 'Zéphyr réseau des ateliers' }).waitFor({ timeout: 20000 });
    // Removed from the network's side: gone from both.
    await page.goto(`${h.baseUrl}/workspace/initiatives/${network.id}/links`);
    await page.getByRole('button', { name: 'Retirer le lien avec « Zéphyr atelier vélo »' }).click();
    await page.getByText('Lien avec « Zéphyr atelier vélo » retiré.').waitFor();
    await page.getByText('Aucun lien pour l’instant.').waitFor();
    assert.deepEqual((await h.api(`/api/v1/initiatives/${member.id}/links`)).body.links, []);
    assert.deepEqual((await h.api(`/api/v1/initiatives/${network.id}/links`)).body.links, []);
  });

  scenario('workspace-moderator-cannot-edit', async (page, h) => {
    const item = await created(h, { name: 'Fablab de la Duchère', lat: 45.78, lon: 4.8 });
    await logIn(page, h, 'moderator', `/workspace/initiatives/${item.id}`);
    await page.getByText('Votre rôle (modération) permet de publier ou refuser, pas de modifier les champs.').waitFor();
    assert.equal(await page.getByLabel('Nom', { exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Enregistrer' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Archiver' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: /^Nouvelle initiative/ }).count(), 0);
    // And the API says no, even with the session's CSRF token.
    const status = await page.evaluate(async (id) => {
      const session = await fetch('/api/v1/session').then((r) => r.json());
      const r = await fetch(`/api/v1/initiatives/${id}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json', 'X-CSRF-Token': session.csrf_token },
        body: JSON.stringify({ name: 'Renommé par un modérateur' }),
      });
      return r.status;
    }, item.id);
    assert.equal(status, 403);
  });

  scenario('workspace-accessibility-axe', async (page, h) => {
    await page.goto(`${h.baseUrl}/workspace`);
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await noSeriousViolation(page, axeSource, 'login page');
    const item = await created(h, { name: 'Recyclerie de Vaise', lat: 45.77, lon: 4.8, opening_hours: 'Tu-Sa 10:00-18:00' });
    await logIn(page, h, 'admin');
    await page.getByRole('heading', { name: 'À traiter', level: 1 }).waitFor();
    await noSeriousViolation(page, axeSource, 'inbox');
    for (const [path, title, name] of [
      [`/workspace/initiatives/${item.id}`, 'Modifier « Recyclerie de Vaise »', 'editor'],
      [`/workspace/initiatives/${item.id}/history`, 'Historique de « Recyclerie de Vaise »', 'history'],
      [`/workspace/initiatives/${item.id}/evaluate`, 'Évaluer « Recyclerie de Vaise »', 'evaluate'],
      [`/workspace/initiatives/${item.id}/links`, 'Liens de « Recyclerie de Vaise »', 'links'],
      ['/workspace/to-check', 'À vérifier', 'to check'],
      ['/workspace/duplicates', 'Doublons', 'duplicates'],
      ['/workspace/imports', 'Imports', 'imports'],
      ['/workspace/users', 'Personnes', 'users'],
      ['/workspace/new', 'Nouvelle initiative', 'new initiative'],
    ]) {
      await page.goto(`${h.baseUrl}${path}`);
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await noSeriousViolation(page, axeSource, name);
      if (name === 'users') await shot(page, 'workspace-users');
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.baseUrl}/workspace?lang=en`);
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    await noSeriousViolation(page, axeSource, 'phone layout, in English');
    await shot(page, 'workspace-phone');
  });
}

export { OUT };
