// Long-running commands as real processes: `arbiter dev` (its own Temporal server and Web UI on free
// ports, a worker, the LLM layer pointed at a scripted OpenAI-compatible server) answering
// `submit --prompt` and `status`, then stopped with Ctrl-C; and `arbiter codec-server` decoding
// what a worker encrypted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/config/freePort.js';
import { EncryptionCodec } from '../../src/security/codec.js';
import { fromJson, toJson } from '../../src/security/codecServer.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { startFakeLlm, type FakeLlm } from '../support/fakeLlm.js';
import { repoFile } from '../support/temporal.js';

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Running[] = [];

/** `arbiter <args>` left running; its stderr is collected. */
function startArbiter(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [repoFile('bin/arbiter.js'), ...args], {
    cwd: repoFile(''),
    env: { ...withoutTemporalAddress(process.env), ARBITER_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const running: Running = {
    child,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  started.push(running);
  return running;
}

const alive = (r: Running) => r.child.exitCode === null && r.child.signalCode === null;

/** Waits until the process has printed `text` (generous: processes start slowly on a busy machine). */
async function printed(r: Running, text: string | RegExp, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen = () => (typeof text === 'string' ? r.stderr().includes(text) : text.test(r.stderr()));
  while (!seen()) {
    if (!alive(r)) throw new Error(`the process exited before printing ${String(text)}:\n${r.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`not printed within ${timeoutMs} ms: ${String(text)}\n${r.stderr()}`);
    await sleep(200);
  }
}

function withoutTemporalAddress(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { TEMPORAL_ADDRESS: _a, ARBITER_UI_URL: _u, OPENAI_API_KEY: _k, ...rest } = env;
  return rest;
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A free port whose port + 1000 (the Web UI's) is free too. */
async function freeDevPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port <= 64_535 && (await canListen(port + 1000))) return port;
  }
}

/** Pids of processes whose command line contains `needle` (a dev server left by a killed `dev`). */
function pidsWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

let devPort: number | undefined;

afterAll(async () => {
  // A test that failed midway still stops everything it started.
  for (const r of started.filter(alive)) {
    r.child.kill('SIGINT');
    const stopped = await Promise.race([r.exited.then(() => true), sleep(60_000).then(() => false)]);
    if (!stopped) r.child.kill('SIGKILL');
  }
  if (devPort !== undefined) {
    for (const pid of pidsWith(`--port ${devPort} `)) process.kill(pid, 'SIGKILL');
  }
}, 120_000);

const item = (title: string, objective: string) => ({
  title,
  objective,
  acceptanceCriteria: [`${title} is done`],
});

describe('arbiter dev', () => {
  let llm: FakeLlm;
  afterAll(async () => {
    await llm?.close();
  });

  it('runs the stack on ARBITER_DEV_PORT, answers submit --prompt and status with links to its Web UI, and stops on Ctrl-C', async () => {
    llm = await startFakeLlm('by-schema', [], {
      plan: JSON.stringify({
        title: 'Analytics platform',
        first: item('Metrics model', 'Define the analytics metrics and dashboard data model.'),
        next: [
          {
            ...item('Ingestion API', 'Design the backend API that stores posts in the database.'),
            buildsOnPrevious: [1],
          },
          {
            ...item('Dashboard', 'Design the dashboard that shows engagement metrics.'),
            buildsOnPrevious: [1],
          },
        ],
      }),
      classification: JSON.stringify({ domain: 'data', confidence: 0.9, reasoning: ['analytics work'] }),
    });
    devPort = await freeDevPort();
    const ui = `http://localhost:${devPort + 1000}`;
    const env = {
      ARBITER_DEV_PORT: String(devPort),
      ARBITER_METRICS_PORT: 'off',
      ARBITER_DATA_DIR: mkdtempSync(join(tmpdir(), 'arbiter-dev-')),
      OPENAI_BASE_URL: llm.baseURL,
      ARBITER_LLM_MODEL: 'scripted',
    };
    const dev = startArbiter(['dev'], env);
    await printed(dev, `ready: Temporal at 127.0.0.1:${devPort}, Web UI at ${ui}.`);
    expect(dev.stderr()).toContain(`LLM: ${llm.baseURL} (from the environment)`);
    // The Web UI the links point at answers there.
    expect((await fetch(ui)).status).toBe(200);

    // A client with no TEMPORAL_ADDRESS talks to the embedded server on ARBITER_DEV_PORT.
    const prompt = 'Build a social media analytics platform';
    const id = `prompt-${Date.now().toString(36)}`;
    const cli = { ...env, TEMPORAL_ADDRESS: '' };
    const submit = await arbiter(['submit', '--prompt', prompt, '--id', id, '--wait', '--json'], cli);
    expect(submit.code, submit.stderr).toBe(0);
    const state = JSON.parse(submit.stdout) as {
      workflowId: string;
      status: string;
      generation: { method: string };
      nodes: { id: string; status: string; dependsOn: string[] }[];
      webUi: string;
    };
    expect(state).toMatchObject({
      workflowId: `plan/${id}`,
      status: 'completed',
      generation: { method: 'llm' },
    });
    expect(state.nodes.map((n) => [n.id, n.status, n.dependsOn])).toEqual([
      ['metrics-model', 'succeeded', []],
      ['ingestion-api', 'succeeded', ['metrics-model']],
      ['dashboard', 'succeeded', ['ingestion-api']],
    ]);
    expect(state.webUi).toBe(`${ui}/namespaces/default/workflows/plan%2F${id}`);
    // The model was asked for a plan, with the request's words.
    const asked = llm.bodies.filter((b) => b.response_format?.json_schema?.name === 'plan');
    expect(asked).toHaveLength(1);
    expect(JSON.stringify(asked[0]!.messages)).toContain(prompt);

    const status = await arbiter(['status', id], cli);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`Web UI      ${ui}/namespaces/default/workflows/plan%2F${id}`);

    // Ctrl-C: the worker, the server and its Web UI stop, and the ports are free again.
    dev.child.kill('SIGINT');
    const exit = await dev.exited;
    expect(exit, dev.stderr()).toEqual({ code: 0, signal: null });
    expect(dev.stderr()).toContain('arbiter: stopped');
    expect(hasStackTrace(dev.stderr())).toBe(false);
    await expect.poll(() => canListen(devPort!), { timeout: 30_000, interval: 500 }).toBe(true);
    await expect.poll(() => canListen(devPort! + 1000), { timeout: 30_000, interval: 500 }).toBe(true);
    expect(pidsWith(`--port ${devPort} `)).toEqual([]);
  }, 600_000);
});

describe('arbiter codec-server', () => {
  it('decodes for the Web UI what a worker with the same key encrypted, only with the token, and stops on SIGTERM', async () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    const token = randomBytes(16).toString('hex');
    const port = await freePort();
    const origin = 'http://localhost:18233';
    const server = startArbiter(['codec-server', '--port', String(port), '--origin', origin], {
      ARBITER_CODEC_KEYS: keys,
      ARBITER_CODEC_TOKEN: token,
    });
    await printed(server, `codec server on http://127.0.0.1:${port} for ${origin} (bearer token required)`);

    // What a worker with ARBITER_CODEC_KEYS writes into the history.
    const plain = defaultPayloadConverter.toPayload({ title: 'Quarterly forecast', budget: 12 });
    const [sealed] = await EncryptionCodec.fromKeys(keys).encode([plain]);
    const decode = (auth?: string) =>
      fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin,
          'x-namespace': 'default',
          ...(auth ? { authorization: auth } : {}),
        },
        body: JSON.stringify({ payloads: [toJson(sealed!)] }),
      });
    const res = await decode(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const body = (await res.json()) as { payloads: Parameters<typeof fromJson>[0][] };
    expect(defaultPayloadConverter.fromPayload(fromJson(body.payloads[0]!))).toEqual({
      title: 'Quarterly forecast',
      budget: 12,
    });
    expect((await decode()).status).toBe(401);
    expect((await decode('Bearer not-the-token')).status).toBe(401);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain('arbiter: stopped');
    expect(await canListen(port)).toBe(true);

    // Without keys there is nothing to decode: bad input, nothing listens.
    const none = await arbiter(['codec-server', '--port', String(port)], { ARBITER_CODEC_KEYS: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ARBITER_CODEC_KEYS is not set');
    expect(hasStackTrace(none.stderr)).toBe(false);
  }, 180_000);

  it('allows the Web UI its links point at by default: the dev server port + 1000, or ARBITER_UI_URL', async () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    for (const [env, origin] of [
      [{ ARBITER_DEV_PORT: '17233' }, 'http://localhost:18233'],
      [{ ARBITER_UI_URL: 'https://temporal.example.com/ui/' }, 'https://temporal.example.com'],
    ] as const) {
      const port = await freePort();
      const server = startArbiter(['codec-server', '--port', String(port), '--insecure-no-auth'], {
        ARBITER_CODEC_KEYS: keys,
        ...env,
      });
      await printed(server, `codec server on http://127.0.0.1:${port} for ${origin} (NO authentication`);
      const preflight = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
