// Rules-first domain classification. Deterministic and in-process (well under a millisecond):
// the same text always yields the same domain, confidence and reasons.
import type { Contract } from '../shared/contract.js';
import type { Classification } from '../shared/decision.js';
import type { RuleSet } from '../shared/rules.js';

export const UNKNOWN_DOMAIN = 'unknown';

interface CompiledRule {
  domain: string;
  keyword: string;
  weight: number;
  pattern: RegExp;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class RuleClassifier {
  private readonly rules: CompiledRule[];

  constructor(readonly ruleSet: RuleSet) {
    this.rules = Object.entries(ruleSet.domains).flatMap(([domain, d]) =>
      d.keywords.map((keyword) => ({
        domain,
        keyword,
        weight: d.weight,
        // A keyword matches at a word start, so "api" does not fire inside "capital".
        pattern:
          keyword.startsWith('/') && keyword.endsWith('/') && keyword.length > 2
            ? new RegExp(keyword.slice(1, -1), 'i')
            : new RegExp(`\\b${escape(keyword)}`, 'i'),
      })),
    );
  }

  classify(contract: Pick<Contract, 'title' | 'objective' | 'acceptanceCriteria'>): Classification {
    const text = [contract.title, contract.objective, ...contract.acceptanceCriteria].join('\n');
    const scores = new Map<string, { score: number; hits: string[] }>();
    for (const rule of this.rules) {
      if (!rule.pattern.test(text)) continue;
      const entry = scores.get(rule.domain) ?? { score: 0, hits: [] };
      entry.score += rule.weight;
      entry.hits.push(rule.keyword);
      scores.set(rule.domain, entry);
    }
    const ranked = [...scores].sort((a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]));
    const [top, second] = ranked;
    if (!top) {
      return {
        domain: UNKNOWN_DOMAIN,
        confidence: 0,
        reasoning: ['no classification rule matched the contract text'],
        method: 'rules',
      };
    }
    const s1 = top[1].score;
    const s2 = second?.[1].score ?? 0;
    // Share of the evidence times saturation: one keyword is a hint, several are a finding.
    const confidence = Math.round((s1 / (s1 + s2)) * (1 - Math.exp(-s1 / 1.5)) * 100) / 100;
    const reasoning = [`${top[0]}: matched ${top[1].hits.map((h) => `"${h}"`).join(', ')} (score ${s1})`];
    if (second) reasoning.push(`runner-up ${second[0]} (score ${s2}) lowers confidence`);
    return { domain: top[0], confidence, reasoning, method: 'rules' };
  }
}
