// The worker's Prometheus endpoint on the real server: a worker started through createWorker with
// a metrics port runs an accepted, a rejected and a reviewed contract; one scrape of /metrics
// shows the Temporal SDK's own series and Arbiter's, with the labels and counts those runs imply.
// The SDK runtime is process-global: this file (its own process under vitest's forks pool) lets
// connectWorker install it with the exporter, and never installs another.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { freePort } from '../../src/config/freePort.js';
import { loadContract } from '../../src/config/files.js';
import { createAgentPools } from '../../src/runtime/agentPools.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import { goodAnswer, startHttpAgent, type HttpAgent } from '../../chaos/cases/harness.js';
import { arbiter } from '../support/cli.js';
import { agentsFile, repoFile, testConfig } from '../support/temporal.js';

const suffix = Date.now().toString(36);
const AGENT_DELAY_MS = 150;
let agent: HttpAgent;
const ids = { ok: `prom-ok-${suffix}`, pii: `prom-pii-${suffix}`, review: `prom-review-${suffix}` };
let config: Config;
let url: string;
let worker: Worker;
let running: Promise<void>;
let client: Arbiter;

/** The samples of one series name whose labels include `labels`. */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const found: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) found.push(Number(m[3]));
  }
  return found;
}

/** One series' value (undefined when absent); several matching series are summed. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(text, name, labels);
  return found.length ? found.reduce((a, b) => a + b, 0) : undefined;
}

async function scrape(): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

beforeAll(async () => {
  // As `arbiter worker` does: a runtime for the log level first; connectWorker then replaces it,
  // unused, by one with the same logger and the SDK's Prometheus exporter.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const port = await freePort();
  // The shipped registry, with the analyst behind a local http agent that takes AGENT_DELAY_MS per
  // call: agent time then has a known lower bound.
  agent = await startHttpAgent(async (req) => {
    await sleep(AGENT_DELAY_MS);
    return goodAnswer(req);
  });
  const shipped = readFileSync(repoFile('agents.yaml'), 'utf8');
  const analystEndpoint = 'endpoint: { kind: builtin, name: report }\n    clearance: confidential';
  expect(shipped).toContain(analystEndpoint);
  config = testConfig({
    metrics: { host: '127.0.0.1', port },
    agentsFile: agentsFile(
      shipped.replace(
        analystEndpoint,
        `endpoint: { kind: http, url: '${agent.url}' }\n    clearance: confidential`,
      ),
    ),
  });
  url = `http://127.0.0.1:${port}/metrics`;
  const connection = await connectWorker(config);
  worker = await createWorker(
    { config, workflowBundle: { codePath: inject('workflowBundlePath') } },
    connection,
  );
  running = worker.run().finally(() => connection.close());
  client = await Arbiter.connect(config);

  const load = (name: string) => loadContract(repoFile(`examples/contracts/${name}.yaml`));
  await client.submitContract({ ...load('analytics-dashboard'), id: ids.ok });
  await client.submitContract({ ...load('patient-records'), id: ids.pii });
  await client.submitContract({ ...load('quarterly-forecast'), id: ids.review });
  expect((await client.contractResult(ids.ok)).outcome).toBe('SUCCEEDED');
  expect((await client.contractResult(ids.pii)).outcome).toBe('REJECTED');
  await vi.waitFor(
    async () => expect((await client.contractStatus(ids.review)).status).toBe('awaiting-review'),
    { timeout: 60_000, interval: 250 },
  );
});

afterAll(async () => {
  await client?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await agent?.close();
});

describe('the worker /metrics endpoint', () => {
  it('counts the queue of contracts waiting for a person at scrape time', async () => {
    expect((await client.contractStatus(ids.review)).status).toBe('awaiting-review');
    // Visibility is updated asynchronously and the count is cached for a few seconds.
    await expect
      .poll(
        async () => sample(await scrape(), 'arbiter_review_queue_size', { task_queue: config.taskQueue }),
        {
          timeout: 60_000,
          interval: 1_000,
        },
      )
      .toBe(1);
  });

  it("serves the Temporal SDK's own series next to Arbiter's", async () => {
    const text = await scrape();
    const q = { task_queue: config.taskQueue };
    // Core's names (no _total suffix on counters, durations in milliseconds).
    expect(sample(text, 'temporal_workflow_completed', { ...q, workflow_type: 'contractWorkflow' })).toBe(2);
    // Governance steps (and in-process agents) run as local activities, the rest as activity tasks.
    const activities =
      (sample(text, 'temporal_activity_execution_latency_count', q) ?? 0) +
      (sample(text, 'temporal_local_activity_execution_latency_count', q) ?? 0);
    expect(activities).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'temporal_workflow_task_execution_latency_count', q)).toBeGreaterThan(0);
    // The worker process's own resources.
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // Every family once: the two expositions do not collide.
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(families.map((l) => l.split(' ')[2])).size).toBe(families.length);
  });

  it('counts decisions by route, policy evaluations and the agent call with its latency', async () => {
    const text = await scrape();
    expect(sample(text, 'arbiter_decisions_total', { route: 'AGENT', kind: 'contract' })).toBe(1);
    expect(sample(text, 'arbiter_decisions_total', { route: 'REJECT', kind: 'contract' })).toBe(1);
    expect(sample(text, 'arbiter_decisions_total', { route: 'HUMAN_REVIEW', kind: 'contract' })).toBe(1);
    // The review's second evaluation (what policy permits once a person approves) is not a decision.
    const evaluations = ['AGENT', 'REJECT', 'HUMAN_REVIEW'].map(
      (route) => sample(text, 'arbiter_policy_evaluations_total', { route }) ?? 0,
    );
    expect(evaluations.reduce((a, b) => a + b, 0)).toBe(4);
    expect(sample(text, 'arbiter_policy_evaluation_duration_seconds_count', { route: 'REJECT' })).toBe(1);
    expect(sample(text, 'arbiter_classifications_total', { domain: 'finance' })).toBe(1);

    const analyst = { agent: 'analyst', outcome: 'ok' };
    expect(sample(text, 'arbiter_agent_call_duration_seconds_count', analyst)).toBe(1);
    expect(sample(text, 'arbiter_agent_call_duration_seconds_bucket', { ...analyst, le: '+Inf' })).toBe(1);
    expect(sample(text, 'arbiter_agent_call_errors_total', { agent: 'analyst' })).toBeUndefined();
    // Circuit states come with the standings policy read: the agent that ran is closed.
    expect(sample(text, 'arbiter_agent_circuit_state', { agent: 'analyst', state: 'closed' })).toBe(1);
    expect(sample(text, 'arbiter_agent_circuit_state', { agent: 'analyst', state: 'open' })).toBe(0);
  });

  it('answers other paths with a pointer to /metrics', async () => {
    const res = await fetch(url.replace('/metrics', '/'));
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('/metrics');
  });
});

describe('`arbiter metrics` resource use', () => {
  it('reports per-contract history, activities, agent time and tokens, and the worker process', async () => {
    await client.review(ids.review, { decision: 'approve', reviewer: 'alice', reason: 'fine' });
    expect((await client.contractResult(ids.review)).outcome).toBe('SUCCEEDED');
    const r = await arbiter(['metrics', '--json'], {
      TEMPORAL_ADDRESS: config.address!,
      TEMPORAL_TASK_QUEUE: config.taskQueue,
      ARBITER_DATA_DIR: config.dataDir,
      ARBITER_METRICS_PORT: String(config.metrics!.port),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as {
      contracts: number;
      resources: {
        perContract: {
          historyEvents: { mean: number; max: number };
          activityExecutions: { mean: number; total: number };
          agentTimeMs: { total: number };
          tokens: { input: number; output: number };
        };
        worker: { url: string; cpuSeconds?: number; residentMemoryBytes?: number; unavailable?: string };
      };
    };
    expect(m.contracts).toBe(3);
    const per = m.resources.perContract;
    // A contract's history has at least its start, a workflow task and its completion.
    expect(per.historyEvents.mean).toBeGreaterThan(3);
    expect(per.historyEvents.max).toBeGreaterThanOrEqual(per.historyEvents.mean);
    // Classify and policy at least, for each of the three.
    expect(per.activityExecutions.total).toBeGreaterThanOrEqual(6);
    // Agent time is the time the agent calls took: the accepted and the reviewed contract each
    // made one call of at least AGENT_DELAY_MS; the rejected one made none.
    const states = await Promise.all(Object.values(ids).map((id) => client.contractResult(id)));
    const latencies = states.flatMap((st) => st.attempts.map((a) => a.latencyMs ?? 0));
    expect(latencies).toHaveLength(2);
    expect(agent.requests).toHaveLength(2);
    expect(per.agentTimeMs.total).toBe(latencies.reduce((a, b) => a + b, 0));
    expect(per.agentTimeMs.total).toBeGreaterThanOrEqual(2 * AGENT_DELAY_MS);
    expect(m.resources.worker.url).toBe(`http://localhost:${config.metrics!.port}/metrics`);
    expect(m.resources.worker.unavailable).toBeUndefined();
    expect(m.resources.worker.cpuSeconds).toBeGreaterThan(0);
    expect(m.resources.worker.residentMemoryBytes).toBeGreaterThan(1_000_000);

    const text = await arbiter(['metrics'], {
      TEMPORAL_ADDRESS: config.address!,
      TEMPORAL_TASK_QUEUE: config.taskQueue,
      ARBITER_DATA_DIR: config.dataDir,
      ARBITER_METRICS_PORT: 'off',
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/resource use\s+history \d+(\.\d+)? events\/contract/);
    expect(text.stdout).toContain('worker process: metrics endpoint off (ARBITER_METRICS_PORT=off)');
  });
  it('shows the backlog of a limited agent’s own queue while its calls wait', async () => {
    const limited = testConfig({
      metrics: config.metrics!,
      agentsFile: agentsFile(`agents:
  - id: paced
    description: an agent that takes one call at a time
    capabilities: { domains: [data, general] }
    endpoint: { kind: builtin, name: report }
    limits: { maxConcurrent: 1 }
`),
    });
    const connection = await connectWorker(limited);
    const bundle = { workflowBundle: { codePath: inject('workflowBundlePath') } };
    const main = await createWorker({ config: limited, ...bundle }, connection);
    // The pool is built (so its queue is reported) but not run yet: the calls wait in its queue.
    const pools = await createAgentPools({ config: limited }, connection);
    const submitter = await Arbiter.connect(limited);
    const contract = loadContract(repoFile('examples/contracts/analytics-dashboard.yaml'));
    const queue = { agent: 'paced', queue: `${limited.taskQueue}/agent-paced` };
    try {
      await main.runUntil(async () => {
        for (let i = 0; i < 3; i++)
          await submitter.submitContract({ ...contract, id: `paced-${suffix}-${i}` });
        await expect
          .poll(async () => sample(await scrape(), 'arbiter_agent_queue_backlog', queue), {
            timeout: 60_000,
            interval: 1_000,
          })
          .toBe(3);
        // Once the pool runs, the queue drains and every contract completes.
        await pools[0]!.worker.runUntil(async () => {
          for (let i = 0; i < 3; i++) {
            expect((await submitter.contractResult(`paced-${suffix}-${i}`)).outcome).toBe('SUCCEEDED');
          }
        });
      });
      await expect
        .poll(async () => sample(await scrape(), 'arbiter_agent_queue_backlog', queue), {
          timeout: 60_000,
          interval: 1_000,
        })
        .toBe(0);
    } finally {
      await submitter.close();
      await connection.close();
    }
  });
});
