// Hybrid classification against a real local model and against servers that misbehave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyActivities } from '../../src/activities/classify.js';
import { loadDeps, type Deps } from '../../src/activities/deps.js';
import { combine, FALLBACK_CONFIDENCE_CAP } from '../../src/governance/llmClassifier.js';
import { startLocalModelServer, type LocalModelServer } from '../../src/llm/localServer.js';
import { loadConfig } from '../../src/config/settings.js';
import { Contract } from '../../src/shared/contract.js';
import type { Classification } from '../../src/shared/decision.js';
import { startFakeLlm, type FakeMode } from '../support/fakeLlm.js';
import { repoFile } from '../support/temporal.js';

const base = loadDeps({ ...loadConfig({}, repoFile('')), dataDir: '/tmp/arbiter-classify-test' });
const withLlm = (baseURL: string | undefined, classifyTimeoutMs = 20_000): Deps => ({
  ...base,
  llm: { ...(baseURL ? { baseURL } : {}), model: 'any', timeoutMs: 30_000, classifyTimeoutMs },
});
// One keyword: the rules are unsure (below the 0.6 threshold), so the LLM is asked.
const unsure = Contract.parse({
  id: 'u',
  title: 'Quarterly numbers',
  objective: 'Prepare the invoice summary.',
});
const sure = Contract.parse({
  id: 's',
  title: 'Ledger',
  objective: 'Reconcile the invoice ledger, payroll and tax filing for the audit trail.',
});

describe('classification with an LLM when the rules are unsure', () => {
  let local: LocalModelServer;
  beforeAll(async () => {
    local = await startLocalModelServer({ port: 0 });
  }, 120_000);
  afterAll(async () => {
    await local.stop();
  });

  it('asks the real local model and combines its structured answer with the rules', async () => {
    const result = await classifyActivities(withLlm(local.baseURL)).classify(unsure);
    expect(['llm', 'hybrid']).toContain(result.method);
    expect([...Object.keys(base.classifier.ruleSet.domains), 'unknown']).toContain(result.domain);
    expect(result.reasoning.some((r) => r.startsWith('LLM: '))).toBe(true);
  });

  it('records the LLM call tokens and their cost from the pricing table', async () => {
    const fake = await startFakeLlm('script', [
      '{"domain":"finance","confidence":0.9,"reasoning":["invoice"]}',
    ]);
    const deps = { ...withLlm(fake.baseURL), llm: { ...withLlm(fake.baseURL).llm, model: 'gpt-4o' } };
    const result = await classifyActivities(deps).classify(unsure);
    await fake.close();
    expect(result).toMatchObject({ method: 'hybrid', domain: 'finance' });
    // The fake reports 1 prompt and 1 completion token: $0.0025 + $0.01 per 1k, rounded.
    expect(result.usage).toEqual({ inputTokens: 1, outputTokens: 1, costUsd: 0.000013 });
  });

  it('does not ask the LLM when the rules are sure', async () => {
    const fake = await startFakeLlm('server-error');
    const result = await classifyActivities(withLlm(fake.baseURL)).classify(sure);
    expect(result.method).toBe('rules');
    expect(fake.requests).toBe(0);
    await fake.close();
  });

  it('stays rules-only, saying so, when no LLM is configured', async () => {
    const result = await classifyActivities(withLlm(undefined)).classify(unsure);
    expect(result).toMatchObject({ method: 'rules', domain: 'finance' });
    expect(result.reasoning.at(-1)).toContain('no LLM configured');
  });

  it.each<[FakeMode, string]>([
    ['server-error', 'server-error'],
    ['rate-limit', 'rate-limit'],
    ['garbage', 'invalid-output'],
    ['wrong-domain', 'invalid-output'],
    ['hang', 'timeout'],
  ])('falls back to capped rules when the LLM answers with %s', async (mode, category) => {
    const fake = await startFakeLlm(mode);
    try {
      // A server that answers (badly) gets a minute, so a slow machine never turns its answer into
      // a timeout; the one that hangs is cut off after 5 s, long after its request has arrived.
      const bound = mode === 'hang' ? 5_000 : 60_000;
      const result = await classifyActivities(withLlm(fake.baseURL, bound)).classify(unsure);
      expect(result.method).toBe('fallback');
      expect(result.domain).toBe('finance');
      expect(result.confidence).toBeLessThanOrEqual(FALLBACK_CONFIDENCE_CAP);
      expect(result.reasoning.at(-1)).toContain(`LLM unavailable (${category}`);
      expect(fake.requests).toBe(1);
    } finally {
      await fake.close();
    }
  });
});

describe('combining rules and LLM', () => {
  const rules = (domain: string, confidence: number): Classification => ({
    domain,
    confidence,
    reasoning: ['r'],
    method: 'rules',
  });
  const llm = (domain: string, confidence: number) => ({
    ok: true as const,
    answer: { domain, confidence, reasoning: [] },
  });

  it('raises confidence part of the way when both agree, never past 0.95', () => {
    expect(combine(rules('finance', 0.5), llm('finance', 1))).toMatchObject({
      confidence: 0.75,
      method: 'hybrid',
    });
    expect(combine(rules('finance', 0.59), llm('finance', 0.2)).confidence).toBeCloseTo(0.63);
  });

  it('caps the LLM alone when the rules found nothing', () => {
    expect(combine(rules('unknown', 0), llm('legal', 0.99))).toMatchObject({
      domain: 'legal',
      confidence: 0.7,
      method: 'llm',
    });
  });

  it('lowers confidence when they disagree, keeping the stronger side', () => {
    expect(combine(rules('data', 0.5), llm('finance', 0.9))).toMatchObject({
      domain: 'finance',
      confidence: 0.38,
    });
    expect(combine(rules('data', 0.5), llm('finance', 0.6))).toMatchObject({
      domain: 'data',
      confidence: 0.3,
    });
  });
});
