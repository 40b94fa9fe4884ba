// Issue 8's "Done when": the Temporal Web UI shows encrypted payloads as encrypted without the codec
// server and readable with it. A contract runs with ARBITER_CODEC_KEYS on its own dev server (the UI
// on); real headless Chromium then opens its page as a user would, following docs/security.md:
// no codec server → ciphertext; the UI pointed at `arbiter codec-server` but not signed in → still
// ciphertext (the token is required); signed in with the token → the contract's text.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { freePort } from '../../src/config/freePort.js';
import { CODEC_KEYS_ENV, codecFromEnv, ENCODING } from '../../src/security/codec.js';
import { createCodecServer, listen, SESSION_COOKIE } from '../../src/security/codecServer.js';
import { Contract } from '../../src/shared/contract.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium.js';
import { repoFile, testConfig } from '../support/temporal.js';

const chromiumPath = ensureChromium();
if ('missing' in chromiumPath) console.warn(`[browser check skipped] ${chromiumPath.missing}`);

const marker = `zebra${randomBytes(5).toString('hex')}`;
const token = randomBytes(24).toString('hex');
const savedKeys = process.env[CODEC_KEYS_ENV];
const screenshot = (name: string) => repoFile(`.arbiter/screenshots/${name}.png`);

describe.skipIf('missing' in chromiumPath)('Temporal Web UI with encrypted payloads', () => {
  let server: DevServer;
  let codecServer: Server;
  let browser: Browser;
  let ui: string;
  let codecUrl: string;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    // This file runs in its own process: the worker and the client read the key from here.
    process.env[CODEC_KEYS_ENV] = `ui-test:${randomBytes(32).toString('base64')}`;
    const [port, uiPort] = [await freePort(), await freePort()];
    server = await startDevServer({ port, uiPort });
    ui = `http://localhost:${uiPort}`;
    // What `arbiter codec-server --origin <ui>` runs, with ARBITER_CODEC_TOKEN set.
    codecServer = createCodecServer({ codec: codecFromEnv()!, token, origins: [ui] });
    // The same host name as the UI's, so the browser treats the two as one site for the cookie.
    codecUrl = `http://localhost:${await listen(codecServer, 0)}`;
    browser = await chromium.launch({
      executablePath: (chromiumPath as { path: string }).path,
      args: CHROMIUM_ARGS,
    });
    mkdirSync(repoFile('.arbiter/screenshots'), { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (codecServer ? codecServer.close(resolve) : resolve(undefined)));
    await server?.stop();
    if (savedKeys === undefined) delete process.env[CODEC_KEYS_ENV];
    else process.env[CODEC_KEYS_ENV] = savedKeys;
  });

  it('shows ciphertext without the codec server, and the contract once signed in to it', async () => {
    const config = testConfig({ address: server.address });
    const contract = Contract.parse({
      // Workflow ids are never encrypted (Temporal needs them), so the marker stays out of the id.
      id: `ui-codec-${Date.now().toString(36)}`,
      title: `Orchid ${marker}`,
      objective: `Design the ${marker} dashboard.`,
    });
    const workflowId = `contract/${contract.id}`;
    const arbiter = await Arbiter.connect(config);
    const nc = await connectWorker(config);
    try {
      const worker = await createWorker(
        { config, workflowBundle: { codePath: inject('workflowBundlePath') } },
        nc,
      );
      await worker.runUntil(async () => {
        await arbiter.submitContract(contract);
        expect((await arbiter.contractResult(workflowId)).outcome).toBe('SUCCEEDED');
      });
    } finally {
      await nc.close();
      await arbiter.close();
    }

    // What the server stores (read without the key): the input payload is binary/encrypted.
    const connection = await Connection.connect({ address: server.address });
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    await connection.close();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe(ENCODING);
    const ciphertext = Buffer.from(input?.data ?? []).toString('base64');

    const context = await browser.newContext({ viewport: { width: 1500, height: 900 } });
    const page = await context.newPage();
    const workflowPage = `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    /** Opens the contract's page and waits for its Input panel to show the given text. */
    const inputShows = async (p: Page, text: string) => {
      await p.goto(workflowPage);
      return p
        .getByText(text)
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
    };
    const bodyText = () => page.locator('body').innerText();
    try {
      // (a) No codec server: the Input panel shows the stored ciphertext, never the contract.
      await expect.poll(() => inputShows(page, ciphertext.slice(0, 40)), { timeout: 30_000 }).toBe(true);
      expect(await bodyText()).not.toContain(marker);
      await page.screenshot({ path: screenshot('webui-codec-encrypted') });

      // The user points this browser's UI at the codec server (docs/security.md): the Codec Server
      // icon in the top bar, "Use my browser setting", the endpoint, "Include cross-origin
      // credentials", Apply.
      await page.getByTestId('data-encoder-status').click();
      const dialog = page.locator('#data-encoder-settings');
      await dialog.getByText('Use my browser setting').click();
      await dialog.locator('#data-encoder-endpoint-input').fill(codecUrl);
      await dialog.getByText('Include cross-origin credentials').click();
      await dialog.getByRole('button', { name: 'Apply' }).click();

      // Not signed in to the codec server yet: it refuses (401) and the UI still shows ciphertext.
      await expect.poll(() => inputShows(page, ciphertext.slice(0, 40)), { timeout: 30_000 }).toBe(true);
      await expect
        .poll(() => page.getByTestId('data-encoder-status-error').isVisible(), { timeout: 30_000 })
        .toBe(true);
      expect(await bodyText()).not.toContain(marker);

      // (b) Signed in once with the token at the codec server's own page: the UI decodes.
      const signIn = await context.newPage();
      await signIn.goto(`${codecUrl}/`);
      await signIn.getByLabel('Codec token').fill('not-the-token');
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      await signIn.getByText('Wrong token').waitFor();
      await signIn.getByLabel('Codec token').fill(token);
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      await signIn.getByText('Signed in').waitFor();
      await signIn.close();
      // The browser holds a session cookie scripts cannot read, derived from the token, not the token.
      // (Cookies are per host, not per port: the UI's own `_csrf` cookie is there too.)
      const session = (await context.cookies(codecUrl)).find((c) => c.name === SESSION_COOKIE);
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(session!.value).not.toContain(token);
      await expect.poll(() => inputShows(page, marker), { timeout: 30_000 }).toBe(true);
      expect(await bodyText()).not.toContain(ciphertext.slice(0, 40));
      await expect
        .poll(() => page.getByTestId('data-encoder-status-success').isVisible(), { timeout: 30_000 })
        .toBe(true);
      await page.screenshot({ path: screenshot('webui-codec-decoded') });
    } finally {
      await context.close();
    }
  });
});
