// Hybrid classification against the real local models (the embedding judge) and against
// OpenAI-compatible servers that answer badly on purpose: unsupported answers are discarded.
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
const withLlm = (baseURL: string | undefined, classifyTimeoutMs = 20_000, model = 'any'): Deps => ({
  ...base,
  llm: { ...(baseURL ? { baseURL } : {}), model, timeoutMs: 30_000, classifyTimeoutMs },
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

  it('asks the real local embedding judge, which agrees with the rules and quotes the contract', async () => {
    const result = await classifyActivities(withLlm(local.baseURL, 20_000, local.model)).classify(unsure);
    expect(result).toMatchObject({ method: 'hybrid', domain: 'finance' });
    const said = result.reasoning.find((r) => r.startsWith('embedding judge all-minilm-l6-v2: finance'));
    expect(said).toContain('evidence "Prepare the invoice summary"');
  });

  it('does not send a plain public task to a regulated domain (the release notes of issue 17)', async () => {
    const notes = Contract.parse({
      id: 'notes',
      title: 'Summarise public release notes',
      objective: 'Write a short public summary of the release notes of an open-source charting library.',
      constraints: { dataClass: 'public' },
    });
    // Without its rule keyword the text reaches the judge with nothing from the rules.
    const judgeOnly = await classifyActivities(withLlm(local.baseURL, 20_000, local.model)).classify({
      ...notes,
      title: 'Summarise public notes',
      objective:
        'Write a short public summary of what changed in the latest version of an open-source charting library.',
    });
    expect(['finance', 'health', 'legal']).not.toContain(judgeOnly.domain);
    expect(judgeOnly.reasoning.some((r) => r.startsWith('embedding judge all-minilm-l6-v2'))).toBe(true);
    const full = await classifyActivities(withLlm(local.baseURL, 20_000, local.model)).classify(notes);
    expect(full.domain).toBe('engineering');
  });

  it('records the LLM call tokens and their cost from the pricing table', async () => {
    const fake = await startFakeLlm('script', [
      '{"evidence":["invoice summary"],"domain":"finance","confidence":0.9}',
    ]);
    const deps = { ...withLlm(fake.baseURL), llm: { ...withLlm(fake.baseURL).llm, model: 'gpt-4o' } };
    const result = await classifyActivities(deps).classify(unsure);
    await fake.close();
    expect(result).toMatchObject({ method: 'hybrid', domain: 'finance' });
    // The fake reports 1 prompt and 1 completion token: $0.0025 + $0.01 per 1k, rounded.
    expect(result.usage).toEqual({ inputTokens: 1, outputTokens: 1, costUsd: 0.000013 });
  });

  it('discards an answer whose quoted evidence is not in the contract, saying why in the trail', async () => {
    // Rules find nothing here, so the model's word would be all there is.
    const plain = Contract.parse({
      id: 'p',
      title: 'Summarise notes',
      objective: 'Write a short public summary.',
    });
    const fake = await startFakeLlm('script', [
      '{"evidence":["quarterly revenue"],"domain":"finance","confidence":0.5}',
    ]);
    const result = await classifyActivities(withLlm(fake.baseURL)).classify(plain);
    await fake.close();
    expect(result).toMatchObject({ domain: 'unknown', method: 'fallback', confidence: 0 });
    expect(result.reasoning.at(-1)).toBe(
      'LLM said finance, discarded (no evidence from the contract: its quotes "quarterly revenue" are not in the contract); rules only, confidence capped',
    );
  });

  it('discards an answer that quotes nothing', async () => {
    const plain = Contract.parse({
      id: 'p',
      title: 'Summarise notes',
      objective: 'Write a short public summary.',
    });
    const fake = await startFakeLlm('script', ['{"evidence":[],"domain":"legal","confidence":0.9}']);
    const result = await classifyActivities(withLlm(fake.baseURL)).classify(plain);
    await fake.close();
    expect(result).toMatchObject({ domain: 'unknown', method: 'fallback' });
    expect(result.reasoning.at(-1)).toContain(
      'LLM said legal, discarded (no evidence from the contract: it quoted nothing)',
    );
  });

  it('accepts an answer whose quotes are in the contract, and asks for evidence in its schema', async () => {
    const plain = Contract.parse({
      id: 'p',
      title: 'Version summary',
      objective: 'Summarise the changes in version 2.',
    });
    const fake = await startFakeLlm('script', [
      '{"evidence":["changes in version 2"],"domain":"engineering","confidence":0.8}',
    ]);
    const result = await classifyActivities(withLlm(fake.baseURL)).classify(plain);
    await fake.close();
    expect(result).toMatchObject({ domain: 'engineering', method: 'llm', confidence: 0.7 });
    expect(result.reasoning.at(-1)).toBe('LLM: engineering (0.8); evidence "changes in version 2"');
    const body = fake.bodies[0] as unknown as {
      response_format: { json_schema: { schema: { required: string[] } } };
    };
    expect(body.response_format.json_schema.schema.required).toContain('evidence');
  });

  it('falls back to the rules when the embedding judge is unreachable', async () => {
    const fake = await startFakeLlm('server-error');
    const deps = withLlm(fake.baseURL);
    const result = await classifyActivities({
      ...deps,
      llm: { ...deps.llm, embeddingModel: 'embedder' },
    }).classify(unsure);
    await fake.close();
    expect(result).toMatchObject({ method: 'fallback', domain: 'finance' });
    expect(result.reasoning.at(-1)).toContain('embedding judge embedder unavailable (server-error');
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
    answer: { domain, confidence, evidence: [], reasoning: [] },
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

  it("keeps an unsure regulated match only with the judge's agreement", () => {
    // The judge names another domain: its evidence wins over one regulated keyword.
    expect(combine(rules('finance', 0.49), llm('engineering', 0.6), ['finance'])).toMatchObject({
      domain: 'engineering',
      method: 'hybrid',
    });
    // The judge finds no domain: a person decides, without a guessed regulated label.
    const none = combine(rules('finance', 0.49), llm('unknown', 0.9), ['finance']);
    expect(none).toMatchObject({ domain: 'unknown', confidence: 0 });
    expect(none.reasoning.at(-1)).toContain('an unsure match is not enough for finance');
    // For a domain that is not strict, finding no domain does not overrule the rules' keyword.
    expect(combine(rules('data', 0.49), llm('unknown', 0.9), ['finance'])).toMatchObject({ domain: 'data' });
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
