// No unsupported guesses: a model's domain counts only when the words it quotes as evidence are
// really in the contract. Pure functions, so the check is the same in every worker and test.
import type { Contract } from './contract.js';

type Text = Pick<Contract, 'title' | 'objective' | 'acceptanceCriteria'>;

const STOP_WORDS = new Set(
  (
    'a an the and or but of for to in on at by with from into onto over under as is are was were be been ' +
    'this that these those it its our we us you your their they them he she his her my me i all any each ' +
    'so if then than not no do does did can could should would will may might must shall about after ' +
    'before more most less some such only also very just per up out off'
  ).split(' '),
);

/** Lowercase, typographic quotes and dashes made plain, whitespace collapsed. */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f]/g, '"')
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The contract text the classifier and the models see. */
export function contractText(c: Text): string {
  return [c.title, c.objective, ...c.acceptanceCriteria].join('\n');
}

/** Words that carry meaning: three letters or more and not a stop word. */
export function contentWords(text: string): string[] {
  return (normalize(text).match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3 && !STOP_WORDS.has(w));
}

export interface EvidenceCheck {
  /** Quotes that appear word for word in the contract and carry at least one content word. */
  verified: string[];
  /** Quotes that do not (invented, paraphrased, or only filler words). */
  rejected: string[];
}

/**
 * Checks each quote against the contract: case, spacing, typographic quotes and surrounding
 * punctuation do not matter; words must appear in order, as written. A quote of only filler words
 * ("the", "and") proves nothing and is rejected.
 */
export function checkEvidence(quotes: readonly string[], contract: Text): EvidenceCheck {
  const haystack = ` ${normalize(contractText(contract)).replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  const verified: string[] = [];
  const rejected: string[] = [];
  for (const quote of quotes) {
    const needle = normalize(quote)
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    const found = needle.length > 0 && haystack.includes(` ${needle} `) && contentWords(needle).length > 0;
    (found ? verified : rejected).push(quote);
  }
  return { verified, rejected };
}

/**
 * The contract cut into the pieces a quote can be: the title, and each sentence or comma-separated
 * clause of the objective and the criteria with at least two words.
 */
export function spans(contract: Text): string[] {
  const pieces = [contract.title, contract.objective, ...contract.acceptanceCriteria].flatMap((part) =>
    part.split(/(?<=[.;:!?])\s+|,\s+|\s+[-\u2013\u2014]\s+|\n+/),
  );
  const cleaned = pieces
    .map((p) => p.trim().replace(/[.;:!?,]+$/, ''))
    .filter((p) => p.split(/\s+/).length >= 2);
  return [...new Set(cleaned)];
}
