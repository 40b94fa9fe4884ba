// Many contracts on one worker with a tiny workflow cache (2): every workflow task replays its
// history from scratch. All must complete, with no non-determinism error in any history.
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import {
  agentEntry,
  agentsYaml,
  CaseFailure,
  configFor,
  connectArbiter,
  connectClient,
  dataContract,
  ensureRuntime,
  nondeterminismFailures,
  reportSchema,
  seconds,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

/** In batches, so thousands of promises never pile onto one connection at once. */
async function inBatches<T, R>(items: T[], size: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export async function manyContractsTinyCache(
  env: ChaosEnv,
  opts: { contracts: number; workflowBundle?: { codePath: string } },
): Promise<CaseReport> {
  ensureRuntime();
  const taskQueue = unique('chaos-cache');
  const config = {
    ...configFor(env, taskQueue),
    agentsFile: writeAgents(agentsYaml(agentEntry('analyst', '{ kind: builtin, name: report }'))),
  };
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  const workerConnection = await connectWorker(config);
  try {
    // createWorker's `options` are the SDK's WorkerOptions; the tiny cache is the fault here.
    const tiny = await createWorker(
      {
        config,
        ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
        options: { maxCachedWorkflows: 2, maxConcurrentWorkflowTaskExecutions: 2 },
      },
      workerConnection,
    );
    // Memory of this process, which runs the worker: evictions must keep it bounded.
    const mb = (bytes: number) => Math.round(bytes / 1e6);
    const rssBefore = mb(process.memoryUsage().rss);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, mb(process.memoryUsage().rss))), 200);
    sampler.unref(); // never what keeps a failed run alive
    const prefix = unique('cache').slice(0, 40);
    const ids = Array.from({ length: opts.contracts }, (_, i) => `${prefix}-${i}`);
    const t0 = Date.now();
    const settled = await tiny.runUntil(async () => {
      await inBatches(ids, 50, (id) =>
        arbiter.submitContract(dataContract(id, { outputSchema: reportSchema })),
      );
      env.log(`${ids.length} contracts submitted in ${seconds(Date.now() - t0)}; worker cache = 2 workflows`);
      // The workflow result itself: a contract that ends without an outcome is a failed workflow.
      return inBatches(ids, 50, async (id) => {
        try {
          return {
            id,
            state: await client.workflow.getHandle<typeof contractWorkflow>(`contract/${id}`).result(),
          };
        } catch (err) {
          const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
          const deeper = (cause as { cause?: Error } | undefined)?.cause;
          return {
            id,
            error: [err, cause, deeper]
              .map((e) => (e as Error | undefined)?.message)
              .filter(Boolean)
              .join(' <- '),
          };
        }
      });
    });
    const took = Date.now() - t0;
    clearInterval(sampler);
    const rssAfter = mb(process.memoryUsage().rss);
    const succeeded = settled.filter((s) => s.state?.outcome === 'SUCCEEDED').length;
    const failures = settled.filter((s) => s.error !== undefined);
    const otherOutcomes = settled.filter((s) => s.state && s.state.outcome !== 'SUCCEEDED');
    const nondet = (
      await inBatches(ids, 25, (id) => nondeterminismFailures(client, `contract/${id}`))
    ).reduce((a, b) => a + b, 0);
    env.log(
      `${succeeded}/${ids.length} SUCCEEDED in ${seconds(took)}; workflows failed: ${failures.length}; ` +
        `other outcomes: ${otherOutcomes.length}; non-determinism failures: ${nondet}`,
    );
    for (const f of failures.slice(0, 3)) env.log(`  contract/${f.id} failed: ${f.error}`);
    for (const o of otherOutcomes.slice(0, 3))
      env.log(`  contract/${o.id}: ${o.state?.outcome} ${o.state?.reason ?? ''}`);
    assert.equal(nondet, 0, 'no non-determinism error in any history');
    if (succeeded !== ids.length) {
      throw new CaseFailure(
        `${ids.length - succeeded}/${ids.length} contracts did not succeed in ${seconds(took)}: ` +
          `${failures.length} workflows FAILED with no outcome (first: contract/${failures[0]?.id ?? '-'}: ` +
          `${failures[0]?.error ?? '-'}), ${otherOutcomes.length} other outcomes`,
        failures.length,
      );
    }
    return {
      fault: `${opts.contracts} contracts, workflow cache of 2`,
      result: `${succeeded}/${ids.length} SUCCEEDED, 0 non-determinism errors`,
      figures: {
        contracts: ids.length,
        'submit → all completed': seconds(took),
        throughput: `${((ids.length * 1000) / took).toFixed(1)} contracts/s`,
        'non-determinism failures': nondet,
        'worker process RSS before / peak / after (MB)': `${rssBefore} / ${rssPeak} / ${rssAfter}`,
      },
      contractsLost: ids.length - succeeded,
    };
  } finally {
    await workerConnection.close();
    await arbiter.close();
    await connection.close();
  }
}
