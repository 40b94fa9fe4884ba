// Secrets never leak: a contract run through the real CLI, with an OpenAI key and a codec token in
// the environment of both the worker and the CLI, leaves neither in the workflow history, the audit
// file or the CLI's output. With ARBITER_CODEC_KEYS set, the history's payloads are unreadable while
// `arbiter status` with the same key still shows the run.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import { arbiter, hasStackTrace, type CliResult } from '../support/cli.js';
import { clientFor, testConfig } from '../support/temporal.js';

const openaiKey = `sk-test-${randomBytes(12).toString('hex')}`;
const codecToken = randomBytes(16).toString('hex');
const secrets = [openaiKey, codecToken];
const SECRET_ENV = { OPENAI_API_KEY: openaiKey, ARBITER_CODEC_TOKEN: codecToken };

let client: Client;
let connection: Connection;
const saved = { ...process.env };

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  ({ client, connection } = await clientFor(testConfig()));
});
afterAll(async () => {
  await connection.close();
  process.env = saved;
});

/** Runs `fn` with a real in-process worker built by src/worker.ts from `env` (set before deps load). */
async function withEnvWorker<T>(
  config: Config,
  env: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const before = { ...process.env };
  Object.assign(process.env, env);
  try {
    const nc = await connectWorker(config);
    try {
      const worker = await createWorker(
        { config, workflowBundle: { codePath: inject('workflowBundlePath') } },
        nc,
      );
      return await worker.runUntil(fn);
    } finally {
      await nc.close();
    }
  } finally {
    process.env = before;
  }
}

function contractFile(config: Config, id: string, title: string): string {
  const file = join(config.dataDir, `${id}.yaml`);
  writeFileSync(
    file,
    [
      `id: ${id}`,
      `title: ${title}`,
      'objective: Build the analytics dashboard for social media engagement metrics.',
      'acceptanceCriteria: [Shows daily active users, Exports CSV]',
    ].join('\n'),
  );
  return file;
}

/** The history as JSON, and every payload's data decoded from base64 (what a database reader sees). */
async function storedHistory(workflowId: string): Promise<{ json: string; payloadText: string }> {
  const json = historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory());
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.data === 'string' && 'metadata' in o)
        texts.push(Buffer.from(o.data, 'base64').toString('latin1'));
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return { json, payloadText: texts.join('\n') };
}

function auditText(config: Config): string {
  const dir = join(config.dataDir, 'audit');
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

const expectNoSecrets = (where: string, text: string) => {
  for (const s of secrets) expect(text.includes(s), `${where} contains a secret`).toBe(false);
};

describe('secrets', () => {
  it('never appear in the history, the audit file or the CLI output', async () => {
    const config = testConfig();
    const id = `secret-${Date.now().toString(36)}`;
    const title = `Dashboard ${randomBytes(6).toString('hex')}`;
    const env = {
      ...SECRET_ENV,
      TEMPORAL_ADDRESS: config.address!,
      TEMPORAL_TASK_QUEUE: config.taskQueue,
      ARBITER_DATA_DIR: config.dataDir,
    };
    let submit: CliResult | undefined;
    await withEnvWorker(config, SECRET_ENV, async () => {
      submit = await arbiter(['submit', '--file', contractFile(config, id, title), '--wait', '--json'], env);
    });
    expect(submit!.code, submit!.stderr).toBe(0);
    expect(JSON.parse(submit!.stdout)).toMatchObject({ workflowId: `contract/${id}`, outcome: 'SUCCEEDED' });

    const history = await storedHistory(`contract/${id}`);
    expectNoSecrets('history', history.json);
    expectNoSecrets('history payloads', history.payloadText);
    expectNoSecrets('audit file', auditText(config));
    expect(auditText(config)).toContain(`contract/${id}`);
    expectNoSecrets('stdout', submit!.stdout);
    expectNoSecrets('stderr', submit!.stderr);
    // Control: without ARBITER_CODEC_KEYS the payloads are plain JSON, the title readable by anyone.
    expect(history.payloadText).toContain(title);
  }, 180_000);

  it('with ARBITER_CODEC_KEYS: payloads in the history are unreadable, status with the key shows the run', async () => {
    const config = testConfig();
    const id = `sealed-${Date.now().toString(36)}`;
    const title = `Sealed dashboard ${randomBytes(6).toString('hex')}`;
    const keys = { ARBITER_CODEC_KEYS: `k2:${randomBytes(32).toString('base64')}` };
    const env = {
      ...SECRET_ENV,
      ...keys,
      TEMPORAL_ADDRESS: config.address!,
      TEMPORAL_TASK_QUEUE: config.taskQueue,
      ARBITER_DATA_DIR: config.dataDir,
    };
    let submit: CliResult | undefined;
    await withEnvWorker(config, { ...SECRET_ENV, ...keys }, async () => {
      submit = await arbiter(['submit', '--file', contractFile(config, id, title), '--wait', '--json'], env);
    });
    expect(submit!.code, submit!.stderr).toBe(0);
    expect(JSON.parse(submit!.stdout)).toMatchObject({ title, outcome: 'SUCCEEDED' });

    const history = await storedHistory(`contract/${id}`);
    expect(history.json).not.toContain(title);
    expect(history.payloadText).not.toContain(title);
    expect(history.payloadText).not.toContain('Build the analytics dashboard');
    expect(history.json).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expectNoSecrets('history', history.json);
    expectNoSecrets('history payloads', history.payloadText);

    // The run is completed: status reads its result from history, decrypted with the key.
    const status = await arbiter(['status', id, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      workflowId: `contract/${id}`,
      title,
      outcome: 'SUCCEEDED',
    });
    expectNoSecrets('status output', status.stdout + status.stderr);

    // Without the key nothing readable comes out; a malformed key is bad input (exit 2). Neither
    // shows a stack trace.
    const [blind, bad] = await Promise.all([
      arbiter(['status', id, '--json'], { ...env, ARBITER_CODEC_KEYS: '' }),
      arbiter(['status', id], { ...env, ARBITER_CODEC_KEYS: 'k2:short' }),
    ]);
    expect(blind.code).not.toBe(0);
    expect(blind.stdout).not.toContain(title);
    expect(hasStackTrace(blind.stderr)).toBe(false);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ARBITER_CODEC_KEYS');
    expect(hasStackTrace(bad.stderr)).toBe(false);
  }, 180_000);
});
