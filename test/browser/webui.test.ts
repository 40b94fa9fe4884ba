// The Temporal Web UI of the embedded stack shows what the README promises: a finished contract
// found by its search attributes, and a contract waiting for review. Real headless Chromium.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { Contract } from '../../src/shared/contract.js';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium.js';
import { repoFile, testConfig, withWorker } from '../support/temporal.js';
import { freePort } from '../../src/config/freePort.js';

const chromiumPath = ensureChromium();
if ('missing' in chromiumPath) console.warn(`[browser check skipped] ${chromiumPath.missing}`);

describe.skipIf('missing' in chromiumPath)('Temporal Web UI', () => {
  let server: DevServer;
  let browser: Browser;
  let ui: string;
  beforeAll(async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    server = await startDevServer({ port, uiPort });
    ui = `http://localhost:${uiPort}`;
    browser = await chromium.launch({
      executablePath: (chromiumPath as { path: string }).path,
      args: CHROMIUM_ARGS,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists a finished contract by its search attributes and a pending review, with a screenshot', async () => {
    const config = testConfig({ address: server.address });
    const run = Date.now().toString(36);
    const done = Contract.parse({
      id: `ui-done-${run}`,
      title: 'Dashboard',
      objective: 'Design the analytics dashboard.',
    });
    const waiting = Contract.parse({ ...done, id: `ui-review-${run}`, review: 'always' });
    const arbiter = await Arbiter.connect(config);
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    try {
      await withWorker(config, async () => {
        await arbiter.submitContract(done);
        await arbiter.contractResult(`contract/${done.id}`);
        await arbiter.submitContract(waiting);
        await expect
          .poll(async () => (await arbiter.contractStatus(`contract/${waiting.id}`)).status, {
            timeout: 30_000,
          })
          .toBe('awaiting-review');
      });
      const shows = (text: string) =>
        page
          .getByText(text)
          .first()
          .waitFor({ state: 'visible', timeout: 5_000 })
          .then(() => true)
          .catch(() => false);
      const list = async (query: string) => {
        await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      };
      // Visibility is eventually consistent: reload until the row shows.
      await expect
        .poll(
          async () => {
            await list(
              `ArbiterDomain = "data" AND ArbiterOutcome = "SUCCEEDED" AND WorkflowId = "contract/${done.id}"`,
            );
            return shows(`contract/${done.id}`);
          },
          { timeout: 60_000, interval: 1_000 },
        )
        .toBe(true);
      mkdirSync(repoFile('.arbiter/screenshots'), { recursive: true });
      await page.screenshot({ path: repoFile('.arbiter/screenshots/webui-search-attributes.png') });
      await expect
        .poll(
          async () => {
            await list(`ArbiterRoute = "HUMAN_REVIEW" AND ExecutionStatus = "Running"`);
            return shows(`contract/${waiting.id}`);
          },
          { timeout: 60_000, interval: 1_000 },
        )
        .toBe(true);
      // The contract's own page shows its search attributes.
      await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(`contract/${done.id}`)}`);
      await expect.poll(() => shows('Search Attributes'), { timeout: 60_000 }).toBe(true);
      await page.getByText('Search Attributes', { exact: true }).first().click();
      await expect.poll(() => shows('ArbiterPolicyVersion'), { timeout: 60_000 }).toBe(true);
      await expect.poll(() => shows('ArbiterDomain'), { timeout: 60_000 }).toBe(true);
      await page.screenshot({ path: repoFile('.arbiter/screenshots/webui-contract.png'), fullPage: true });
    } finally {
      await page.close();
      await arbiter.close();
    }
  });
});
