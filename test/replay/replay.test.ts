// Checked-in histories must replay on the current workflow code: a change that would break running
// workflows fails here, before users see a non-determinism error. And a contract read from its
// history (replayed, as `arbiter audit` does with no worker up) must say exactly what the workflow
// recorded as it ran: the audit record it wrote, and its result when it completed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { contractStateFromHistory } from '../../src/audit/fromHistory.js';
import { replayTrail, trailSink } from '../../src/audit/replay.js';
import { ContractState } from '../../src/shared/decision.js';
import { stateOf } from '../../src/shared/trail.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = new URL('./histories/', import.meta.url).pathname;
const auditDir = new URL('./audits/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const contracts = files.filter((f) => f.startsWith('contract-'));
const bundle = () => ({ codePath: inject('workflowBundlePath') });

const history = (file: string) => historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')));
const workflowIdOf = (file: string): string => {
  const started = history(file).events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = defaultPayloadConverter.fromPayload<{ contract?: { id?: string } }>(
    started!.input!.payloads![0]!,
  );
  return started?.parentWorkflowExecution?.workflowId
    ? `${started.parentWorkflowExecution.workflowId}/${input.contract?.id}`
    : `contract/${input.contract?.id}`;
};
/** What the workflow wrote as it ran (none when it refused its input before any step). */
const liveRecord = (file: string): ContractState | undefined =>
  existsSync(`${auditDir}${file}`)
    ? ContractState.parse(JSON.parse(readFileSync(`${auditDir}${file}`, 'utf8')))
    : undefined;

describe('replay', () => {
  it('has histories of every workflow type and contract path', () => {
    expect(files.sort()).toEqual([
      'agent-ledger.json',
      'contract-agent-queue.json',
      'contract-bad-input.json',
      'contract-cancelled.json',
      'contract-escalated.json',
      'contract-fallback.json',
      'contract-pipeline-review.json',
      'contract-pipeline.json',
      'contract-rejected.json',
      'contract-review-approved.json',
      'contract-review-rejected.json',
      'contract-succeeded.json',
      'contract-tool-bound.json',
      'contract-tool-loop.json',
      'plan-cancelled.json',
      'plan-conditional.json',
      'plan-dependency-aware.json',
      'request-fallback.json',
    ]);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: bundle(), sinks: trailSink(() => undefined) },
        history(file),
        file,
      ),
    ).resolves.toBeUndefined();
  });
});

describe('a contract read from its history says what the workflow recorded', () => {
  it.each(contracts)('%s: the replayed trail and state equal the live ones', async (file) => {
    const workflowId = workflowIdOf(file);
    const trail = await replayTrail(history(file), workflowId, bundle());
    const live = liveRecord(file);
    expect(trail).toEqual(live?.trail ?? []);
    if (live) {
      const { output: _output, ...decisions } = live;
      expect(stateOf(workflowId, trail)).toEqual(decisions);
    }
  });

  it.each(contracts)('%s: `audit` with no worker shows the same outcome and trail', async (file) => {
    const workflowId = workflowIdOf(file);
    const { state, source } = await contractStateFromHistory(history(file), workflowId, bundle());
    const live = liveRecord(file);
    if (!live) {
      // Refused before any step: Temporal's record of the failure is the whole trail.
      expect(source).toBe('replay');
      expect(state.outcome).toBe('FAILED');
      expect(state.reason).toMatch(/^workflow failed: invalid contract workflow input .*contract\.title/);
      return;
    }
    expect(state.trail).toEqual(live.trail);
    expect(state.outcome).toBe(live.outcome);
    expect(source).toBe(live.outcome === 'CANCELLED' ? 'replay' : 'result');
  });
});
