// What the browser scenarios run on: a fresh database in the local PostGIS cluster, an Archipel
// server serving the built front end, fixture data sent through the API, headless Chromium with
// every request to another host blocked. Everything is undone at the end, even on failure.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const FRONTEND = resolve(import.meta.dirname, '..');
export const REPO = resolve(FRONTEND, '..');
export const DIST = join(FRONTEND, 'dist');
export const OUT = join(REPO, 'tests', 'output', 'browser');
export const ARCHIPEL_BIN = resolve(FRONTEND, process.env.ARCHIPEL_BIN ?? '../target/debug/archipel');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DB_HOST = '127.0.0.1';
const DB_PORT = Number(process.env.ARCHIPEL_DB_PORT ?? 55432);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.error) throw new Error(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((done) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function psql(sql, database = 'postgres') {
  return run('psql', ['-h', DB_HOST, '-p', String(DB_PORT), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Debian's Chromium, headless, behind a browser server so that a browser that stops answering
 * can still be killed. `close()` closes it, or kills it after 10 s.
 */
export async function launchChromium({ args = [] } = {}) {
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    // Playwright gives every launch a fresh, empty profile directory (--user-data-dir).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
  const browser = await chromium.connect(server.wsEndpoint(), { timeout: 60000 });
  const close = async () => {
    const closed = await Promise.race([
      (async () => {
        await browser.close().catch(() => undefined);
        await server.close();
        return true;
      })().catch(() => false),
      sleep(10000).then(() => false),
    ]);
    if (!closed) await server.kill().catch(() => undefined);
  };
  return { browser, server, close };
}

/**
 * gzip size (level 9) of built JS and CSS: the files named (paths under dist/assets), or every
 * one of them — all four pages — when none are.
 */
export function bundleGzipBytes(names = null) {
  const assets = join(DIST, 'assets');
  const files = names ?? readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
  let total = 0;
  for (const f of files) total += gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
  return total;
}

/**
 * Playwright's error when a route is answered twice: a page-level handler and the context-wide
 * one, or a handler and the browser itself (e.g. while a scenario swaps its routes), may both
 * reach the same request. The request was answered: nothing to do.
 */
export function alreadyHandled(error) {
  return /Route is already handled/.test(error?.message ?? '');
}

/**
 * A route handler that tolerates a request another handler already answered. Any other error
 * still propagates (Playwright then reports it as an unhandled rejection, which run.mjs charges
 * to the running scenario), unless `closing()` says the harness is closing the page.
 */
export function tolerant(handler, closing = () => false) {
  return async (route, request) => {
    try {
      return await handler(route, request);
    } catch (e) {
      if (!alreadyHandled(e) && !closing()) throw e;
    }
  };
}

/** Console messages of a Content-Security-Policy violation (Chromium's wording, and ours below). */
export const CSP_CONSOLE = /^Refused to|Content Security Policy/;

// In every page, before its own scripts: Content-Security-Policy violations are reported to the
// harness (through the binding below), with what was blocked and where. A worker's violations
// fire in the worker, out of reach of this listener: the scripts of blob: workers (MapLibre's)
// get a first line that logs them to the console, which the harness reads.
function reportCspViolations() {
  const prelude =
    "self.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to load ${e.blockedURI} in a worker (Content Security Policy directive ${e.effectiveDirective})`));\n";
  const NativeBlob = window.Blob;
  // (the same prototype: every Blob, made here or by the browser, stays `instanceof Blob`)
  function Blob(parts, options) {
    const script = /^(text|application)\/javascript/.test(options?.type ?? '') && Array.isArray(parts) && parts.every((p) => typeof p === 'string');
    return new NativeBlob(script ? [prelude, ...parts] : parts, options);
  }
  Blob.prototype = NativeBlob.prototype;
  window.Blob = Blob;
  const report = (e) => {
    const binding = window.__archipelCspViolation;
    if (typeof binding !== 'function') return;
    void binding({
      directive: e.effectiveDirective || e.violatedDirective,
      blocked: e.blockedURI,
      source: e.sourceFile ? `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}` : '',
      sample: e.sample,
      page: e.documentURI,
    });
  };
  document.addEventListener('securitypolicyviolation', report, true);
}

export class Harness {
  database = `archipel_fe_e2e_${randomBytes(5).toString('hex')}`;
  server = null;
  browser = null;
  closeChromium = null;
  baseUrl = '';
  token = '';
  databaseCreated = false;
  fixtures = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures.json'), 'utf8')).initiatives;
  ids = new Map();

  get databaseUrl() {
    return `postgres://postgres@${DB_HOST}:${DB_PORT}/${this.database}`;
  }

  async setUp() {
    if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'embed.html'))) {
      throw new Error('frontend/dist is missing: run `npm run build` first');
    }
    if (!existsSync(ARCHIPEL_BIN)) {
      throw new Error(`no archipel binary at ${ARCHIPEL_BIN}: build it (cargo build --bin archipel) or set ARCHIPEL_BIN`);
    }
    mkdirSync(OUT, { recursive: true });
    if (!(await portOpen(DB_PORT))) {
      console.log(`# starting the private PostgreSQL cluster (${ARCHIPEL_BIN} db start)`);
      run(ARCHIPEL_BIN, ['db', 'start'], { cwd: REPO });
    }
    psql(`CREATE DATABASE ${this.database}`);
    this.databaseCreated = true;
    const env = { ...process.env, DATABASE_URL: this.databaseUrl };
    run(ARCHIPEL_BIN, ['migrate'], { env });
    const created = run(ARCHIPEL_BIN, ['token', 'create', '--name', 'e2e', '--role', 'editor'], { env });
    this.token = created.trim().split('\n').filter(Boolean).pop() ?? '';
    if (!/^\S{20,}$/.test(this.token)) throw new Error(`unexpected token output: ${created}`);

    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const log = createWriteStream(join(OUT, 'server.log'));
    this.server = spawn(
      ARCHIPEL_BIN,
      ['serve', '--bind', '127.0.0.1', '--port', String(port), '--frontend-dir', DIST, '--default-view', '46.6,2.4,5'],
      { env: { ...env, RUST_LOG: process.env.RUST_LOG ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.server.stdout.pipe(log);
    this.server.stderr.pipe(log);
    const exited = new Promise((r) => this.server.once('exit', (code) => r(code)));
    const deadline = Date.now() + 60000;
    for (;;) {
      const code = await Promise.race([exited, sleep(200).then(() => undefined)]);
      if (code !== undefined) throw new Error(`archipel serve exited (${code}); see ${join(OUT, 'server.log')}`);
      try {
        const r = await fetch(`${this.baseUrl}/readyz`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('archipel serve was not ready within 60 s');
    }
    await this.seed();
    await this.launchBrowser();
  }

  async launchBrowser() {
    const { browser, close } = await launchChromium();
    this.closeChromium = close;
    this.browser = browser;
  }

  /** Closes the browser, killing it if it does not close within 10 s. */
  async closeBrowser() {
    const close = this.closeChromium;
    this.browser = null;
    this.closeChromium = null;
    await close?.();
  }

  /** After a hang: the old browser is closed (or killed) and a new one started. */
  async restartBrowser() {
    await this.closeBrowser();
    await this.launchBrowser();
  }

  async api(path, init = {}) {
    const headers = { 'Content-Type': 'application/json', 'Accept-Language': 'fr', Authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) };
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: response.status, body };
  }

  async seed() {
    for (const item of this.fixtures) {
      const { status, body } = await this.api('/api/v1/initiatives', { method: 'POST', body: JSON.stringify(item) });
      if (status !== 201) throw new Error(`seeding ${item.name} failed (${status}): ${JSON.stringify(body)}`);
      this.ids.set(item.name, body);
    }
  }

  /** A fresh browser context (own storage, clock, permissions) whose only reachable host is ours. */
  async newPage(options = {}) {
    const context = await this.browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
      ...options,
    });
    const blocked = [];
    let closing = false;
    await context.route(
      '**/*',
      tolerant(
        (route) => {
          const url = new URL(route.request().url());
          if (url.hostname === '127.0.0.1') return route.continue();
          blocked.push(url.href);
          return route.abort('internetdisconnected');
        },
        () => closing,
      ),
    );
    // Every violation of the pages' Content-Security-Policy fails the scenario (run.mjs).
    const cspViolations = [];
    await context.exposeBinding('__archipelCspViolation', (_source, violation) => {
      cspViolations.push(violation);
    });
    await context.addInitScript(reportCspViolations);
    const page = await context.newPage();
    // (the page's console has its workers' messages too)
    page.on('console', (m) => CSP_CONSOLE.test(m.text()) && cspViolations.push({ console: m.text() }));
    page.cspViolations = cspViolations;
    /** The end of the scenario: its own routes dropped (in-flight ones ignored), the context closed. */
    page.closeContext = async () => {
      closing = true;
      await page.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => undefined);
      await context.close();
    };
    // Requests not answered yet: named when the map fails to load.
    const pending = new Set();
    page.on('request', (r) => pending.add(r));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
    page.pending = pending;
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.consoleErrors = consoleErrors;
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.blocked = blocked;
    page.errors = errors;
    return page;
  }

  async tearDown() {
    await this.closeBrowser();
    if (this.server && this.server.exitCode === null) {
      const exited = new Promise((r) => this.server.once('exit', r));
      this.server.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (this.server.exitCode === null) this.server.kill('SIGKILL');
    }
    if (this.databaseCreated) {
      try {
        psql(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
      } catch (e) {
        console.error(`# could not drop ${this.database}: ${e.message}`);
      }
    }
  }
}

export { dirname, sleep };
