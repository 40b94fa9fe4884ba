// Contract generation: with a real local model, and with servers that answer badly or not at all.
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { generatePlan } from '../../src/llm/generatePlan.js';
import { startLocalModelServer } from '../../src/llm/localServer.js';
import { Plan } from '../../src/shared/contract.js';
import { startFakeLlm } from '../support/fakeLlm.js';

const client = (baseURL: string) => new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0 });
const item = (title: string) => ({ title, objective: `Do ${title}`, acceptanceCriteria: [`${title} done`] });
const answer = (first: string, ...next: [string, number[]][]) =>
  JSON.stringify({
    title: 'Plan',
    first: item(first),
    next: next.map(([title, buildsOnPrevious]) => ({ ...item(title), buildsOnPrevious })),
  });
// Fake servers answer at once: a generous bound keeps a slow machine from turning answers into timeouts.
const settings = (baseURL: string) => ({ client: client(baseURL), model: 'm', timeoutMs: 60_000 });

async function failure(fn: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a typed failure');
}

describe('contract generation', () => {
  it('turns a prompt into a schema-valid plan of at least three contracts, with dependencies, on the real local model', async () => {
    const server = await startLocalModelServer({ port: 0 });
    try {
      const g = await generatePlan('Build a social media analytics platform', 'social', {
        client: client(server.baseURL),
        model: server.model,
        timeoutMs: 180_000,
      });
      expect(g.method).toBe('llm');
      expect(Plan.safeParse(g.plan).success).toBe(true);
      expect(g.plan.contracts.length).toBeGreaterThanOrEqual(3);
      expect(g.plan.contracts.some((c) => c.dependsOn.length > 0)).toBe(true);
      expect(new Set(g.plan.contracts.map((c) => c.id)).size).toBe(g.plan.contracts.length);
      expect(g.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('makes unique slug ids and maps dependency positions to them', async () => {
    const fake = await startFakeLlm('script', [answer('Data Model', ['Data Model', [1]], ['API', [1, 2]])]);
    const g = await generatePlan('x', 'p', settings(fake.baseURL));
    await fake.close();
    expect(g.method).toBe('llm');
    expect(g.plan.contracts.map((c) => [c.id, c.dependsOn])).toEqual([
      ['data-model', []],
      ['data-model-2', ['data-model']],
      ['api', ['data-model-2', 'data-model']],
    ]);
  });

  it('sends an invalid answer back once with the errors, and uses the corrected one', async () => {
    const bad = JSON.stringify({ title: 'Plan', first: { title: 'A', objective: 'a' }, next: [] });
    const good = answer('A', ['B', [1]], ['C', [1]]);
    const fake = await startFakeLlm('script', [bad, good]);
    const g = await generatePlan('x', 'p', settings(fake.baseURL));
    await fake.close();
    expect(g).toMatchObject({ method: 'llm', attempts: 2 });
    const retry = fake.bodies[1]?.messages.at(-1)?.content ?? '';
    expect(retry).toContain('That plan is invalid');
    expect(retry).toContain('first.acceptanceCriteria');
  });

  it('fails typed, not retryable, when the answer is still garbage after one repair round', async () => {
    const garbage = await startFakeLlm('garbage');
    const err = await failure(() => generatePlan('Build a dashboard', 'p', settings(garbage.baseURL)));
    expect(garbage.requests).toBe(2);
    await garbage.close();
    expect(err).toMatchObject({ type: 'invalid-output', nonRetryable: true });
    expect(err.message).toContain('invalid twice');
  });

  it.each([
    ['server-error', 'server-error'],
    ['rate-limit', 'rate-limit'],
    ['hang', 'timeout'],
  ] as const)(
    'fails retryable on %s, after exactly one request (Temporal owns retries)',
    async (mode, type) => {
      const fake = await startFakeLlm(mode);
      // Only the hanging server is cut off, after 5 s: long after its request has arrived.
      const err = await failure(() =>
        generatePlan('x y', 'p', {
          ...settings(fake.baseURL),
          ...(mode === 'hang' ? { timeoutMs: 5_000 } : {}),
        }),
      );
      expect(fake.requests).toBe(1);
      await fake.close();
      expect(err).toMatchObject({ type, nonRetryable: false });
    },
  );

  it('degrades to one reviewed contract when no LLM is configured', async () => {
    const g = await generatePlan('Build a dashboard for sales', 'p', {
      client: undefined,
      model: 'm',
      timeoutMs: 1,
    });
    expect(g).toMatchObject({ method: 'fallback', reason: 'no LLM is configured' });
    expect(g.plan.contracts).toEqual([
      expect.objectContaining({ objective: 'Build a dashboard for sales', review: 'always' }),
    ]);
  });
});
