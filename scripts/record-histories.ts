// Records workflow histories for the replay tests (test/replay/histories). It only writes the
// histories that are missing: the checked-in ones are how we prove old runs still replay on new
// code, so they are never recorded over (delete one by hand only when a change is meant to be
// incompatible, and say so in the commit).
//   npx tsx scripts/record-histories.ts
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Arbiter } from '../src/client.js';
import { loadConfig } from '../src/config.js';
import { startDevServer } from '../src/embedded/devServer.js';
import { loadContract, loadPlan } from '../src/shared/load.js';
import { connectWorker, createWorker } from '../src/worker.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const out = new URL('../test/replay/histories/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const server = await startDevServer({ port: 17999 });
const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-record-'));
const agentsFile = join(dataDir, 'agents.yaml');
writeFileSync(
  agentsFile,
  `agents:
  - { id: broken, description: always fails, capabilities: { domains: [data, finance] }, endpoint: { kind: builtin, name: failing }, clearance: confidential }
  - { id: analyst, description: reports, capabilities: { domains: [data, finance], roles: [researcher, analyzer, writer, reviewer] }, endpoint: { kind: builtin, name: report }, clearance: confidential, pricing: { perCallUsd: 0.01 } }
`,
);
const config = { ...loadConfig(), address: server.address, taskQueue: 'record', dataDir, agentsFile };
const connection = await connectWorker(config);
const worker = await createWorker({ config }, connection);
const arbiter = await Arbiter.connect(config);
const example = (name: string) =>
  loadContract(new URL(`../examples/contracts/${name}.yaml`, import.meta.url).pathname);

await worker.runUntil(async () => {
  const cases = {
    // Recorded after the trust ledger (patched 'trust-ledger'): outcomes recorded per attempt.
    'contract-measured': { ...example('analytics-dashboard'), id: 'measured' },
    'contract-pipeline': example('research-pipeline'),
    'contract-fallback': example('analytics-dashboard'),
    'contract-review-approved': example('quarterly-forecast'),
    'contract-rejected': example('patient-records'),
  };
  const plans = {
    'plan-dependency-aware': loadPlan(
      new URL('../examples/plans/social-analytics.yaml', import.meta.url).pathname,
    ),
  };
  const missing = (name: string) => !existsSync(join(out, `${name}.json`));
  const save = async (name: string, workflowId: string) => {
    const history = await arbiter.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(out, `${name}.json`), historyToJSON(history));
    console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
  };
  for (const [name, plan] of Object.entries(plans)) {
    if (!missing(name)) continue;
    const { workflowId } = await arbiter.processPlan(plan);
    await arbiter.result(workflowId);
    await save(name, workflowId);
  }
  for (const [name, contract] of Object.entries(cases)) {
    if (!missing(name)) continue;
    const { workflowId } = await arbiter.processContract(contract);
    if (name === 'contract-review-approved') {
      for (;;) {
        const s = await arbiter.contractStatus(workflowId);
        if (s.status === 'awaiting-review') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await arbiter.review(workflowId, { decision: 'approve', reviewer: 'alice' });
    }
    await arbiter.result(workflowId);
    await save(name, workflowId);
  }
});
await arbiter.close();
await connection.close();
await server.stop();
