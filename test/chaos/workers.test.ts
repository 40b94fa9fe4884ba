// Worker processes (`arbiter worker`) killed or stopped mid-contract: nothing is lost, the agent
// sees one idempotency key per step, and every output is recorded once.
import { describe, expect, it } from 'vitest';
import { killWorkerBetweenSteps, killWorkerDuringAgentCall } from '../../chaos/cases/workerKill.js';
import { sigtermWorker } from '../../chaos/cases/sigterm.js';
import { runCase } from './env.js';

describe('worker faults', () => {
  it('kill -9 during an agent call: another worker completes it, the retry reuses the idempotency key', async () => {
    const report = await runCase(killWorkerDuringAgentCall);
    expect(report.figures['distinct idempotency keys']).toBe(1);
    expect(report.figures['agent calls']).toBeGreaterThanOrEqual(2);
    expect(report.figures['recorded attempts']).toBe(1);
  }, 300_000);

  it('kill -9 between steps (agent answered): the contract completes with the output recorded once', async () => {
    const report = await runCase(killWorkerBetweenSteps);
    expect(report.figures['distinct idempotency keys']).toBe(1);
    expect(report.figures['recorded attempts']).toBe(1);
  }, 300_000);

  it('SIGTERM: the worker exits 0 and the in-flight contract completes on another worker', async () => {
    const report = await runCase(sigtermWorker);
    expect(report.figures['exit code']).toBe(0);
    expect(report.figures['distinct idempotency keys']).toBe(1);
  }, 300_000);
});
