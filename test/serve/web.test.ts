import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { startServer, trainedWorkspace } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');

test('in a real browser: search items, build a history, recommendations equal `r2end recommend`', async () => {
  const work = trainedWorkspace();
  const server = await startServer(work);
  // Playwright gives the browser a fresh temporary profile (user data dir) of its own.
  const browser = await chromium
    .launch({
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
    })
    .catch(async (error) => {
      await server.stop();
      throw error;
    });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // Failed loads show as responses (the unknown user's 404 is on purpose); other console errors count.
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
    );
    page.on(
      'response',
      (r) => r.status() >= 400 && !r.url().includes('/users/nobody/') && problems.push(`${r.status()} ${r.url()}`),
    );
    await page.goto(server.url);
    await page.getByTestId('about').filter({ hasText: 'R2END' }).waitFor();
    await page.locator('[data-testid=popular] li').first().waitFor();

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
    const shown = await page
      .locator('[data-testid=recommendations] li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item')));
    assert.equal(shown.length, 8, 'k=10 over an 8-item catalogue');
    assert.ok((await page.locator('[data-testid=recommendations] details.why').count()) > 0, 'explanations shown');

    // The same history through the CLI.
    const file = join(tempDir(), 'history.jsonl');
    writeFileSync(file, sent.history.map((e) => JSON.stringify(e)).join('\n'));
    const cli = runCli(['recommend', '--work', work, '--history', file, '-k', String(sent.k), '--json']);
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
  } finally {
    await browser.close();
    await server.stop();
  }
});
