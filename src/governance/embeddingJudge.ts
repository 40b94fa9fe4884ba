// The embedding judge: asked when the rules are unsure, it embeds the contract and the sentences
// of config/domain-descriptions.yaml with a sentence-embedding model (any OpenAI-compatible
// /v1/embeddings; the embedded default is all-MiniLM-L6-v2) and names the domain whose
// description is closest in meaning. Its evidence is the part of the contract closest to that
// domain, quoted; when no part is close enough, or a strict (regulated) domain only narrowly
// leads, the answer is discarded rather than guessed. docs/judgement.md has the measurements.
import type OpenAI from 'openai';
import { categorize } from '../llm/client.js';
import type { Contract } from '../shared/contract.js';
import { UNKNOWN_DOMAIN } from './classifier.js';
import type { DomainDescriptions } from './domainDescriptions.js';
import { checkEvidence, contractText, spans } from '../shared/evidence.js';
import type { LlmOutcome } from './llmClassifier.js';

type Text = Pick<Contract, 'title' | 'objective' | 'acceptanceCriteria'>;
type Vector = readonly number[];

// Thresholds in cosine similarity, set on the development part of eval/ (docs/judgement.md).
/** How far the winner must lead the runner-up; a strict domain needs a clearer lead. */
export const MIN_LEAD = 0.0;
export const STRICT_LEAD = 0.05;
/** A strict domain must also be this close to the text at all. */
export const STRICT_MIN_SIMILARITY = 0.3;
/** A quote this far from every sentence of its domain does not count as evidence. */
export const MIN_EVIDENCE = 0.2;
export const STRICT_EVIDENCE = 0.3;
const NONE = 'none';

export interface Prototype {
  /** A configured domain, or `none`. */
  domain: string;
  sentence: string;
  vector: Vector;
}

export function cosine(a: Vector, b: Vector): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Each domain's closest sentence to a vector, best first. */
export function rank(vector: Vector, prototypes: readonly Prototype[]) {
  const best = new Map<string, { score: number; sentence: string }>();
  for (const p of prototypes) {
    const score = cosine(vector, p.vector);
    if (score > (best.get(p.domain)?.score ?? -Infinity)) best.set(p.domain, { score, sentence: p.sentence });
  }
  return [...best]
    .map(([domain, b]) => ({ domain, ...b }))
    .sort((a, b) => b.score - a.score || a.domain.localeCompare(b.domain));
}

/**
 * The judge's verdict from vectors already computed: the whole text's, and each quotable span's.
 * Pure, so its thresholds are tested without a model.
 */
export function decide(
  contract: Text,
  text: Vector,
  quotable: readonly { span: string; vector: Vector }[],
  prototypes: readonly Prototype[],
  strict: readonly string[],
): LlmOutcome {
  const [first, second] = rank(text, prototypes);
  if (!first)
    return { ok: false, category: 'invalid-output', message: 'no domain descriptions to compare with' };
  const lead = first.score - (second?.score ?? 0);
  const runnerUp = second
    ? `; runner-up ${second.domain === NONE ? 'no domain' : second.domain} (${r2(second.score)})`
    : '';
  const closest = `closest description "${first.sentence}" (similarity ${r2(first.score)})${runnerUp}`;
  const confidence = r2(Math.min(0.9, Math.max(0.3, 0.5 + lead * 3)));
  if (first.domain === NONE) {
    return {
      ok: true,
      answer: {
        domain: UNKNOWN_DOMAIN,
        confidence,
        evidence: [],
        reasoning: [`belongs to no domain: ${closest}`],
      },
    };
  }
  const isStrict = strict.includes(first.domain);
  const needed = isStrict ? STRICT_LEAD : MIN_LEAD;
  const weak =
    lead < needed
      ? `${first.domain} leads by only ${r2(lead)} (it needs ${needed})`
      : isStrict && first.score < STRICT_MIN_SIMILARITY
        ? `${first.domain} is only ${r2(first.score)} similar (it needs ${STRICT_MIN_SIMILARITY})`
        : undefined;
  if (weak) {
    return { ok: false, category: 'invalid-output', discarded: first.domain, message: `${weak}: ${closest}` };
  }
  const own = prototypes.filter((p) => p.domain === first.domain);
  const quotes = quotable
    .map((q) => ({ span: q.span, score: Math.max(...own.map((p) => cosine(q.vector, p.vector))) }))
    .sort((a, b) => b.score - a.score);
  const best = quotes[0];
  const check = checkEvidence(best ? [best.span] : [], contract);
  if (!best || best.score < (isStrict ? STRICT_EVIDENCE : MIN_EVIDENCE) || check.verified.length === 0) {
    return {
      ok: false,
      category: 'invalid-output',
      discarded: first.domain,
      message: `no part of the contract is close to ${first.domain}${best ? ` (best "${best.span}", ${r2(best.score)})` : ''}`,
    };
  }
  return {
    ok: true,
    answer: {
      domain: first.domain,
      confidence,
      evidence: check.verified,
      reasoning: [closest, `evidence "${best.span}" (similarity ${r2(best.score)})`],
    },
  };
}

export interface EmbeddingJudgeSettings {
  client: OpenAI;
  model: string;
  timeoutMs: number;
}

export class EmbeddingJudge {
  private prototypes?: Promise<Prototype[]>;

  constructor(
    private readonly descriptions: DomainDescriptions,
    private readonly settings: EmbeddingJudgeSettings,
  ) {}

  get model(): string {
    return this.settings.model;
  }

  private async embed(input: string[]): Promise<{ vectors: number[][]; tokens: number }> {
    const res = await this.settings.client.embeddings.create(
      { model: this.settings.model, input, encoding_format: 'float' },
      { timeout: this.settings.timeoutMs },
    );
    const vectors = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    if (vectors.length !== input.length)
      throw new SyntaxError(`${vectors.length} embeddings for ${input.length} inputs`);
    return { vectors, tokens: res.usage?.prompt_tokens ?? 0 };
  }

  /** The descriptions' vectors, computed once per worker (a failed attempt is retried next time). */
  private loadPrototypes(): Promise<Prototype[]> {
    this.prototypes ??= (async () => {
      const entries = [
        ...Object.entries(this.descriptions.domains).flatMap(([domain, list]) =>
          list.map((sentence) => ({ domain, sentence })),
        ),
        ...this.descriptions.none.map((sentence) => ({ domain: NONE, sentence })),
      ];
      const { vectors } = await this.embed(entries.map((e) => e.sentence));
      return entries.map((e, i) => ({ ...e, vector: vectors[i]! }));
    })().catch((err: unknown) => {
      this.prototypes = undefined;
      throw err;
    });
    return this.prototypes;
  }

  async ask(contract: Text): Promise<LlmOutcome> {
    try {
      const prototypes = await this.loadPrototypes();
      const quotable = spans(contract);
      const { vectors, tokens } = await this.embed([
        contractText(contract).replace(/\n/g, '. '),
        ...quotable,
      ]);
      const outcome = decide(
        contract,
        vectors[0]!,
        quotable.map((span, i) => ({ span, vector: vectors[i + 1]! })),
        prototypes,
        this.descriptions.strict,
      );
      const usage = { inputTokens: tokens, outputTokens: 0 };
      return outcome.ok || outcome.discarded ? { ...outcome, usage } : outcome;
    } catch (err) {
      return { ok: false, category: categorize(err), message: (err as Error).message.split('\n')[0] ?? '' };
    }
  }
}
