// The cost of governing a tool call: one MCP call (read_file on the example files server over
// streamable HTTP) made by a contract's tool loop, where Cedar decides it (a local activity) and
// the trail records the decision and the call, against the same call as a plain activity. Both are
// measured as the difference between runs with N+1 calls and with 1 call, so what every run has
// (the contract's other steps, the model turns, connecting to the server) cancels out.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { loadDeps } from '../../src/activities/deps.js';
import { createActivities } from '../../src/activities/index.js';
import type { Arbiter, ContractState } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { startScriptedLlm, type ScriptedReply } from '../../test/support/scriptedLlm.js';
import type { Bench } from '../harness/bench.js';
import { log, repoRoot, runTag } from '../harness/settings.js';
import type { Scenario } from '../harness/scenario.js';
import { benchContract, expectSucceeded } from '../harness/workloads.js';
import { fmt, ratio } from '../stats.js';
import type { PlainToolCallsInput } from '../workflows.js';

export interface ToolCallResult {
  /** Extra calls per run (N), and runs of each kind. */
  calls: number;
  runs: number;
  governedMsPerCall: number;
  plainMsPerCall: number;
  /** governed / plain: what deciding and recording a call costs on top of making it. */
  ratio: number;
}

const READ = { path: 'notes/welcome.md' };

/** The example files server over streamable HTTP on loopback, on a copy of its folder. */
async function startFilesServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const root = join(dir, 'files');
  cpSync(join(repoRoot, 'examples/mcp/files'), root, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'examples/mcp/files-server.ts'), '--root', root, '--http', '0'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`files-server exited (${code})`)));
  });
  return { url, child };
}

/** One contract whose model asks for `calls` reads at once, then answers. */
const governedScript = (calls: number): ScriptedReply[] => [
  { toolCalls: Array.from({ length: calls }, () => ({ name: 'files__read_file', arguments: READ })) },
  { content: JSON.stringify({ summary: 'read', criteria: [] }) },
];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function measure(bench: Bench): Promise<ToolCallResult> {
  const n = bench.quick ? 10 : 20;
  const runs = bench.quick ? 2 : 5;
  const dir = join(bench.tempDir, 'tool-call');
  mkdirSync(dir, { recursive: true });
  const files = await startFilesServer(dir);
  // Warm-up, then per run: N+1 calls and 1 call, in this order (the model answers in turn).
  const order = [n + 1, 1, ...Array.from({ length: runs }, () => [n + 1, 1]).flat()];
  const llm = await startScriptedLlm(order.flatMap(governedScript), {
    prompt_tokens: 0,
    completion_tokens: 0,
  });
  try {
    const agentsFile = join(dir, 'agents.yaml');
    writeFileSync(
      agentsFile,
      JSON.stringify({
        agents: [
          {
            id: 'tooler',
            description: 'Benchmark tool agent: a scripted model with the files MCP server.',
            capabilities: { domains: ['data', 'general'] },
            endpoint: {
              kind: 'openai',
              model: 'scripted',
              baseUrl: llm.baseURL,
              systemPrompt: 'You read files.',
              tools: [{ id: 'files', url: files.url }],
              maxToolCalls: 100,
            },
          },
        ],
      }),
    );
    const config: Config = {
      ...bench.setup.config,
      taskQueue: `${bench.setup.config.taskQueue}-tools`,
      agentsFile,
    };
    const deps = loadDeps(config);
    await bench.stack.startArbiterWorker({ config, deps, codePath: bench.setup.codePath });
    // The plain calls run in a bench workflow on a queue of their own, served by one worker with
    // the same activities: like the loop's calls, on the workflow's own queue.
    const plainQueue = `${config.taskQueue}-plain`;
    bench.stack.run(
      await Worker.create({
        connection: bench.stack.connection,
        namespace: config.namespace,
        taskQueue: plainQueue,
        workflowsPath: fileURLToPath(new URL('../workflows.ts', import.meta.url)),
        activities: createActivities(deps),
      }),
    );
    const arbiter: Arbiter = await bench.stack.connectArbiter(config);
    let seq = 0;
    const governed = (calls: number) =>
      timed(async () => {
        const { workflowId } = await arbiter.submitContract(benchContract(`tool-${runTag}-${(seq += 1)}`));
        const state = (await arbiter.client.workflow.getHandle(workflowId).result()) as ContractState;
        expectSucceeded(workflowId, state);
        const made = state.trail.filter((e) => e.kind === 'tool-called').length;
        if (made !== calls) throw new Error(`${workflowId}: ${made} tool calls, not ${calls}`);
      });
    const plain = (calls: number) =>
      timed(() =>
        bench.client.workflow.execute('plainToolCalls', {
          taskQueue: plainQueue,
          workflowId: `plain-tools-${runTag}-${(seq += 1)}`,
          args: [
            {
              agentId: 'tooler',
              server: 'files',
              tool: 'read_file',
              arguments: READ,
              calls,
            } satisfies PlainToolCallsInput,
          ],
        }),
      );
    log(`tool call: governed vs plain, ${runs} runs of ${n + 1} and 1 calls each`);
    await governed(n + 1);
    await governed(1);
    await plain(n + 1);
    await plain(1);
    let governedMs = 0;
    let plainMs = 0;
    for (let r = 0; r < runs; r++) {
      governedMs += (await governed(n + 1)) - (await governed(1));
      plainMs += (await plain(n + 1)) - (await plain(1));
    }
    const governedMsPerCall = governedMs / (runs * n);
    const plainMsPerCall = plainMs / (runs * n);
    return {
      calls: n,
      runs,
      governedMsPerCall,
      plainMsPerCall,
      ratio: ratio(governedMsPerCall, plainMsPerCall),
    };
  } finally {
    await llm.close();
    files.child.kill('SIGTERM');
  }
}

export const toolCall: Scenario<ToolCallResult> = {
  key: 'toolCall',
  run: (bench) => measure(bench),
  report: (r) => ({
    tables: [
      {
        id: 'toolCall',
        heading: 'A governed tool call against a plain activity making the same call',
        columns: ['call (MCP read_file, streamable HTTP)', 'ms per call', 'runs × calls'],
        rows: [
          [
            'plain activity (callTool, no decision, no trail)',
            fmt(r.plainMsPerCall),
            `${r.runs} × ${r.calls}`,
          ],
          [
            'governed, in a contract tool loop (Cedar decision + callTool + trail)',
            fmt(r.governedMsPerCall),
            `${r.runs} × ${r.calls}`,
          ],
        ],
      },
    ],
    targets: [
      {
        measure: 'governed tool call / plain activity',
        value: fmt(r.ratio, 2),
        target: '(reported)',
        met: true,
      },
    ],
  }),
};
