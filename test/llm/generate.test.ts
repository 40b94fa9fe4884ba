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
  it('never turns the demo request into copies of one contract on the real local model: a plan with distinct titles, or one reviewed contract with the reason', async () => {
    const server = await startLocalModelServer({ port: 0, embeddingModelPath: null });
    try {
      const g = await generatePlan('Build a social media analytics platform', 'social', {
        client: client(server.baseURL),
        model: server.model,
        timeoutMs: 180_000,
      });
      expect(Plan.safeParse(g.plan).success).toBe(true);
      const titles = g.plan.contracts.map((c) => c.title.toLowerCase());
      expect(new Set(titles).size).toBe(titles.length);
      expect(g.usage.outputTokens).toBeGreaterThan(0);
      if (g.method === 'llm') {
        expect(g.plan.contracts.length).toBeGreaterThanOrEqual(3);
        expect(titles).not.toContain('build a social media analytics platform');
      } else {
        expect(g.reason).toMatch(/did not read like a plan|invalid/);
        expect(g.plan.contracts).toEqual([expect.objectContaining({ review: 'always' })]);
      }
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('makes ids from the titles and maps dependency positions to them', async () => {
    const fake = await startFakeLlm('script', [
      answer('Data model', ['Ingest API', [1]], ['Engagement dashboard', [1, 2]]),
    ]);
    const g = await generatePlan('Build an analytics tool', 'p', settings(fake.baseURL));
    await fake.close();
    expect(g.method).toBe('llm');
    expect(g.plan.contracts.map((c) => [c.id, c.dependsOn])).toEqual([
      ['data-model', []],
      ['ingest-api', ['data-model']],
      ['engagement-dashboard', ['ingest-api', 'data-model']],
    ]);
  });

  it('sends a plan of repeated titles back once with the problems, and uses the corrected one', async () => {
    const fake = await startFakeLlm('script', [
      answer('Analytics platform', ['Analytics platform', [1]], ['Analytics platform', [1]]),
      answer('Collect posts', ['Compute engagement metrics', [1]], ['Dashboard', [1]]),
    ]);
    const g = await generatePlan('Build a social media analytics platform', 'p', settings(fake.baseURL));
    await fake.close();
    expect(g).toMatchObject({ method: 'llm', attempts: 2 });
    expect(g.plan.contracts.map((c) => c.title)).toEqual([
      'Collect posts',
      'Compute engagement metrics',
      'Dashboard',
    ]);
    const retry = fake.bodies[1]?.messages.at(-1)?.content ?? '';
    expect(retry).toContain('the title "Analytics platform" is used 3 times');
  });

  it('falls back to one reviewed contract, with the reason, when the model only repeats the request', async () => {
    const copies = answer(
      'Build a social media analytics platform',
      ['Build a social media analytics platform', [1]],
      ['Build a social media analytics platform', [1]],
    );
    const fake = await startFakeLlm('script', [copies]);
    const g = await generatePlan('Build a social media analytics platform', 'p', settings(fake.baseURL));
    await fake.close();
    expect(fake.requests).toBe(2);
    expect(g).toMatchObject({ method: 'fallback', attempts: 2 });
    expect(g.reason).toContain("the model's plan did not read like a plan");
    expect(g.reason).toContain('only repeats the request');
    expect(g.plan.contracts).toEqual([
      expect.objectContaining({ objective: 'Build a social media analytics platform', review: 'always' }),
    ]);
  });

  it('sends an invalid answer back once with the errors, and uses the corrected one', async () => {
    const bad = JSON.stringify({ title: 'Plan', first: { title: 'A', objective: 'a' }, next: [] });
    const good = answer('Alpha', ['Beta', [1]], ['Gamma', [1]]);
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
