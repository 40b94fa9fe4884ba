// Contract generation: with a real local model, and with servers that answer badly or not at all.
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { generatePlan } from '../../src/llm/generatePlan.js';
import { startLocalModelServer } from '../../src/llm/localServer.js';
import { Plan } from '../../src/shared/contract.js';
import { startFakeLlm } from '../support/fakeLlm.js';

const client = (baseURL: string) => new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0 });
const contract = (title: string, dependsOn: number[] = []) => ({
  title,
  objective: `Do ${title}`,
  acceptanceCriteria: [`${title} done`],
  dependsOn,
});
const answer = (...contracts: ReturnType<typeof contract>[]) => JSON.stringify({ title: 'Plan', contracts });

describe('contract generation', () => {
  it('turns a prompt into a schema-valid plan of at least three contracts with the real local model', async () => {
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
      expect(new Set(g.plan.contracts.map((c) => c.id)).size).toBe(g.plan.contracts.length);
      expect(g.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('makes unique slug ids and maps dependency positions to them', async () => {
    const fake = await startFakeLlm('script', [
      answer(contract('Data Model'), contract('Data Model'), contract('API', [0, 1])),
    ]);
    const g = await generatePlan('x', 'p', { client: client(fake.baseURL), model: 'm', timeoutMs: 5_000 });
    await fake.close();
    expect(g.method).toBe('llm');
    expect(g.plan.contracts.map((c) => [c.id, c.dependsOn])).toEqual([
      ['data-model', []],
      ['data-model-2', []],
      ['api', ['data-model', 'data-model-2']],
    ]);
  });

  it('sends an invalid answer back once with the errors, and uses the corrected one', async () => {
    const bad = answer(contract('A', [2]), contract('B'), contract('C'));
    const good = answer(contract('A'), contract('B', [0]), contract('C', [1]));
    const fake = await startFakeLlm('script', [bad, good]);
    const g = await generatePlan('x', 'p', { client: client(fake.baseURL), model: 'm', timeoutMs: 5_000 });
    await fake.close();
    expect(g).toMatchObject({ method: 'llm', attempts: 2 });
    const retry = fake.bodies[1]?.messages.at(-1)?.content ?? '';
    expect(retry).toContain('That plan is invalid');
    expect(retry).toContain('contracts[0].dependsOn');
  });

  it('degrades to one reviewed contract when the answer stays invalid, or no model answers', async () => {
    const garbage = await startFakeLlm('garbage');
    const g = await generatePlan('Build a dashboard for sales', 'p', {
      client: client(garbage.baseURL),
      model: 'm',
      timeoutMs: 5_000,
    });
    expect(garbage.requests).toBe(2);
    await garbage.close();
    expect(g.method).toBe('fallback');
    expect(g.reason).toContain('invalid twice');
    expect(g.plan.contracts).toEqual([
      expect.objectContaining({ objective: 'Build a dashboard for sales', review: 'always' }),
    ]);

    const down = await startFakeLlm('server-error');
    const d = await generatePlan('x y', 'p', { client: client(down.baseURL), model: 'm', timeoutMs: 5_000 });
    await down.close();
    expect(d).toMatchObject({ method: 'fallback', attempts: 1 });
    expect(d.reason).toMatch(/^no model answered \(server-error/);
    const none = await generatePlan('x y', 'p', { client: undefined, model: 'm', timeoutMs: 5_000 });
    expect(none.reason).toBe('no LLM is configured');
  });
});
