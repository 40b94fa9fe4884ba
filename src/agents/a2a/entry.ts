// `arbiter agents import`: an agents.yaml entry suggested from an Agent Card, for an operator to
// review. The card is the agent's own claim, so the entry grants the least: clearance `public`, no
// trust (it is measured), and domains only where a skill tag names a configured domain or one of
// its keywords (`general` otherwise). Nothing is registered until the operator writes it.
import { slugify } from '../../shared/slug.js';
import type { RuleSet } from '../../shared/rules.js';
import type { AgentCardInfo } from './card.js';

export interface SuggestedEntry {
  id: string;
  description: string;
  capabilities: { domains: string[] };
  endpoint: { kind: 'a2a'; card: string };
  clearance: 'public';
}

/** The configured domains a skill tag speaks for: by the domain's name or one of its keywords. */
export function domainsOfTags(tags: readonly string[], rules: RuleSet): string[] {
  const found = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    for (const [domain, d] of Object.entries(rules.domains)) {
      if (tag === domain || d.keywords.some((k) => k.toLowerCase() === tag)) found.add(domain);
    }
  }
  return [...found].sort();
}

export function suggestEntry(info: AgentCardInfo, rules: RuleSet): SuggestedEntry {
  const domains = domainsOfTags(
    info.skills.flatMap((s) => s.tags),
    rules,
  );
  return {
    id: slugify(info.name).slice(0, 63),
    description: (info.description || info.name).replace(/\s+/g, ' ').trim(),
    capabilities: { domains: domains.length ? domains : ['general'] },
    endpoint: { kind: 'a2a', card: info.cardUrl },
    clearance: 'public',
  };
}

/** The comment above a suggested entry: where it came from and what to review. */
export function entryComment(info: AgentCardInfo): string[] {
  const skills = info.skills.map((s) => `${s.id}${s.tags.length ? ` [${s.tags.join(', ')}]` : ''}`);
  return [
    `From the Agent Card of "${info.name}" ${info.version} (A2A ${info.service.version}, JSON-RPC at ${info.service.url}).`,
    `Skills: ${skills.join('; ') || 'none listed'}.`,
    "Review before use: capabilities and clearance are yours to grant, not the card's; trust is measured.",
    'Optional: endpoint.skill (one of the skill ids above), endpoint.auth { header, env }, timeout, pricing.',
  ];
}
