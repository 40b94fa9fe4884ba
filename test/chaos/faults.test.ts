// Faults outside the worker: duplicate submissions, a hanging agent, an oversized answer and an
// answer that violates its schema while trying to steer routing.
import { describe, expect, it } from 'vitest';
import { duplicatePlanSubmission } from '../../chaos/cases/duplicatePlan.js';
import { hangingAgentFallsBack } from '../../chaos/cases/hangFallback.js';
import { injectedOutput } from '../../chaos/cases/injection.js';
import { oversizedOutput } from '../../chaos/cases/payload.js';
import { runCase } from './env.js';

const inProcessWorkers = true;

describe('faults around the agents', () => {
  it('the same plan id submitted concurrently starts exactly one run', async () => {
    const report = await runCase((env) => duplicatePlanSubmission(env, 4), { inProcessWorkers });
    expect(report.figures['started: true']).toBe(1);
  });

  it('a hanging agent times out, is retried with the same key, then the fallback does the work', async () => {
    const report = await runCase(hangingAgentFallsBack, { inProcessWorkers });
    expect(report.figures['calls to the hanging agent']).toBe(3);
    expect(report.figures['final agent']).toBe('steady');
  });

  it('a prompt-injecting, schema-violating answer is invalid-output, audited, and routing is unchanged', async () => {
    const report = await runCase(injectedOutput, { inProcessWorkers });
    expect(report.figures['calls to the injecting agent']).toBe(1);
    expect(report.figures['route / final agent']).toBe('AGENT / steady');
  });

  it('an answer over the payload limit ends the contract with a clear error, never a stuck workflow', async () => {
    // A run still open and waiting for nobody after 90 s counts as stuck.
    const report = await runCase((env) => oversizedOutput(env, 90_000), { inProcessWorkers });
    expect(report.result).toMatch(/FAILED with a clear error/);
  }, 180_000);
});
