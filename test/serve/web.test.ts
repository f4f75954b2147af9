import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { getJson, hybridWorkspace, postJson, startServer } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');

// One workspace (R2END, and a hybrid of it with item kNN) and one browser for both tests.
let work: string;
let browser: Browser;

before(async () => {
  work = hybridWorkspace();
  // Playwright gives the browser a fresh temporary profile (user data dir) of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
});

/** A page of `url` that collects page errors, console errors and failed responses (but the expected ones) in `problems`. */
async function openPage(url: string, problems: string[], expectedFailure = /^$/): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => problems.push(e.message));
  // Failed loads show as responses; other console errors count.
  page.on(
    'console',
    (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
  );
  page.on(
    'response',
    (r) => r.status() >= 400 && !expectedFailure.test(r.url()) && problems.push(`${r.status()} ${r.url()}`),
  );
  await page.goto(url);
  await page.locator('[data-testid=popular] li').first().waitFor();
  return page;
}

/** Searches for and adds items i2 and i5, asks for recommendations, and returns the request the page sent. */
async function recommendI2I5(page: Page): Promise<{ history: unknown[]; k: number }> {
  for (const [query, id] of [
    ['item 2', 'i2'],
    ['item 5', 'i5'],
  ]) {
    await page.getByTestId('search').fill(query);
    await page.getByTestId('search-button').click();
    await page.locator(`[data-testid=add-item][data-item=${id}]`).click();
  }
  assert.deepEqual(await page.locator('[data-testid=history] li .id').allTextContents(), ['i2', 'i5']);
  const request = page.waitForRequest((r) => r.url().endsWith('/v1/recommend'));
  await page.getByTestId('recommend').click();
  const sent = JSON.parse((await request).postData()!) as { history: unknown[]; k: number };
  await page.locator('[data-testid=recommendations] li').first().waitFor();
  return sent;
}

const itemsOf = (page: Page, testid: string) =>
  page.locator(`[data-testid=${testid}] li`).evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item')));

test('in a real browser: search items, build a history, recommendations equal `r2end recommend`', async () => {
  const server = await startServer(work, ['--model', 'r2end']);
  try {
    const problems: string[] = [];
    // The unknown user's 404 is on purpose.
    const page = await openPage(server.url, problems, /\/users\/nobody\//);
    await page.getByTestId('about').filter({ hasText: 'R2END' }).waitFor();
    const sent = await recommendI2I5(page);
    const shown = await itemsOf(page, 'recommendations');
    assert.equal(shown.length, 8, 'k=10 over an 8-item catalogue');
    assert.ok((await page.locator('[data-testid=recommendations] details.why').count()) > 0, 'explanations shown');

    // The same history through the CLI.
    const file = join(tempDir(), 'history.jsonl');
    writeFileSync(file, sent.history.map((e) => JSON.stringify(e)).join('\n'));
    const cli = runCli([
      'recommend',
      '--work',
      work,
      '--model',
      'r2end',
      '--history',
      file,
      '-k',
      String(sent.k),
      '--json',
    ]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(
      shown,
      JSON.parse(cli.stdout).items.map((i: { item_id: string }) => i.item_id),
    );

    // A known user, and an unknown one's error line.
    await page.getByTestId('user').fill('u3');
    await page.getByTestId('user-button').click();
    await page.getByText(/ms$/).first().waitFor();
    await page.getByTestId('user').fill('nobody');
    await page.getByTestId('user-button').click();
    await page.getByTestId('error').filter({ hasText: 'nobody' }).waitFor();
    assert.match((await page.getByTestId('card').textContent()) ?? '', /template \(not an LLM\)/);

    await page.getByTestId('user').fill('u3');
    await page.getByTestId('user-button').click();
    await page.getByTestId('error').waitFor({ state: 'detached' });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
  }
});

test('in a real browser, a hybrid: model and version, per-part contributions, each part beside it, the card as HTML', async () => {
  const server = await startServer(work, ['--model', 'hybrid']);
  try {
    const problems: string[] = [];
    const page = await openPage(server.url, problems);
    const health = (await getJson(`${server.url}/healthz`)).body;
    await page.getByTestId('model-name').filter({ hasText: 'hybrid' }).waitFor();
    assert.equal(await page.getByTestId('model-version').textContent(), health.version);
    // The generated card of a hybrid: a heading and a table of its facts, rendered.
    await page.locator('[data-testid=card] h1').filter({ hasText: 'hybrid' }).waitFor();
    assert.match((await page.locator('[data-testid=card] table').textContent()) ?? '', /r2end weight/);

    // Fewer than the 8 items, so the lists can differ.
    await page.getByTestId('k').fill('5');
    await page.locator('[data-testid=popular] li').nth(5).waitFor({ state: 'detached' });
    const sent = await recommendI2I5(page);
    assert.equal(sent.k, 5);
    await page.locator('[data-testid=part-itemknn] li').first().waitFor();
    const shown = await itemsOf(page, 'recommendations');
    const answer = await postJson(`${server.url}/v1/recommend`, sent);
    assert.deepEqual(
      shown,
      answer.body.items.map((i: { item_id: string }) => i.item_id),
    );
    const first = page.locator('[data-testid=recommendations] > li').first();
    assert.deepEqual(await first.locator('[data-testid=contributions] tr td:first-child').allTextContents(), [
      'r2end',
      'itemknn',
    ]);
    // The comparison: the hybrid's list, each part's own answer for the same history, and the most popular.
    assert.deepEqual(await itemsOf(page, 'compare-served'), shown);
    for (const part of ['r2end', 'itemknn']) {
      const alone = await postJson(`${server.url}/v1/recommend`, { ...sent, part });
      assert.equal(alone.status, 200, JSON.stringify(alone.body));
      assert.deepEqual(
        await itemsOf(page, `part-${part}`),
        alone.body.items.map((i: { item_id: string }) => i.item_id),
        part,
      );
    }
    const popular = (await getJson(`${server.url}/v1/popular?k=${sent.k}`)).body.items;
    assert.deepEqual(
      await itemsOf(page, 'popular'),
      popular.map((i: { item_id: string }) => i.item_id),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page-hybrid.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
  }
});
