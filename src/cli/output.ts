// Rendering for people (aligned text) and for machines (`--json`: one document on stdout).
import type { ContractState } from '../shared/decision.js';
import type { PlanState } from '../shared/plan.js';
import { isPlanState, type RunState } from '../client.js';
import { webUiLink } from '../config/settings.js';
import type { Config } from '../config/settings.js';

export { webUiLink };

export { printJson } from './json.js';

/**
 * The Web UI of the server the CLI talks to: ARBITER_UI_URL when set, else where a Temporal dev
 * server puts it, on its gRPC port + 1000 (the embedded one on ARBITER_DEV_PORT + 1000).
 */
export function uiBaseFromEnv(
  config: Pick<Config, 'address' | 'devPort'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.ARBITER_UI_URL) return env.ARBITER_UI_URL;
  // The address clients use (addressOf in config/settings.ts): TEMPORAL_ADDRESS, or the embedded server's.
  const address = config.address ?? `localhost:${config.devPort}`;
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  if (at < 0 || !Number.isInteger(port)) return `http://localhost:${config.devPort + 1000}`;
  const loopback = ['localhost', '127.0.0.1', '::1'].includes(host);
  return `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port + 1000}`;
}

const money = (n: number) => `$${n.toFixed(4)}`;

export function planLines(p: PlanState): string[] {
  const counts = new Map<string, number>();
  for (const n of p.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  // A plan too busy to answer in time: the counts from its progress memo, no per-contract lines.
  for (const [k, v] of Object.entries(p.progress?.counts ?? {})) counts.set(k, v);
  const lines = [
    `${p.workflowId}  ${p.title}`,
    `  status      ${p.status}${p.cancelReason ? ` (${p.cancelReason})` : ''}; ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`,
    `  strategy    ${p.strategy}, at most ${p.maxParallel} at a time; cost ${money(p.costUsd)}`,
  ];
  if (p.progress) {
    lines.push(
      `  (counts as of ${p.progress.at}: the plan was too busy to answer; ask again for each contract)`,
    );
  }
  for (const n of p.nodes) {
    const detail = [n.domain, n.route, n.agentId].filter(Boolean).join(' / ');
    lines.push(`  ${n.id.padEnd(24)} ${n.status.padEnd(10)} ${detail}${n.reason ? `  ${n.reason}` : ''}`);
    // Conditional plans: how policy routed it, and why.
    if (n.routing) {
      lines.push(
        `  ${''.padEnd(24)} runs ${n.routing.mode} [${n.routing.policyIds.join(', ') || 'default deny'}]`,
      );
    }
    if (n.review)
      lines.push(`  ${''.padEnd(24)} review until ${n.review.deadline}: ${n.review.why.join('; ')}`);
  }
  return lines;
}

export function stateLines(s: RunState): string[] {
  return isPlanState(s) ? planLines(s) : summaryLines(s);
}

export function summaryLines(s: ContractState): string[] {
  const c = s.classification;
  const d = s.decision;
  const lines = [
    `${s.workflowId}  ${s.title}`,
    `  status      ${s.status}${s.outcome ? ` (${s.outcome})` : ''}${s.reason ? `: ${s.reason}` : ''}`,
  ];
  if (c) lines.push(`  domain      ${c.domain} (confidence ${c.confidence}, ${c.method})`);
  if (d) {
    lines.push(
      `  route       ${d.route} [${d.policyIds.join(', ') || 'default deny'}] policy ${d.policyVersion}`,
    );
    lines.push(
      `  agent       ${s.agentId ?? d.agentId ?? '-'}${d.fallbacks.length ? ` (fallbacks: ${d.fallbacks.join(', ')})` : ''}`,
    );
  }
  if (s.review && s.status === 'awaiting-review') {
    lines.push(
      `  review      waiting until ${s.review.deadline}; permitted on approval: ${s.review.permitted.join(', ')}`,
    );
  }
  lines.push(
    `  cost        ${money(s.usage.costUsd)} (${s.usage.inputTokens}+${s.usage.outputTokens} tokens)`,
  );
  return lines;
}

export function timelineLines(s: ContractState): string[] {
  const lines = [`audit trail of ${s.workflowId} (${s.trail.length} events)`];
  for (const e of s.trail) lines.push(`  ${e.at}  ${e.step.padEnd(9)}  ${e.summary}`);
  if (s.decision?.explanation.length) {
    lines.push('  policy explanation:');
    for (const x of s.decision.explanation) lines.push(`    - ${x}`);
  }
  for (const a of s.attempts) {
    lines.push(
      `  attempt: ${a.agentId} ${a.ok ? 'ok' : `failed (${a.errorCategory}): ${a.error ?? ''}`}${a.latencyMs !== undefined ? `, ${a.latencyMs} ms` : ''}`,
    );
  }
  return lines;
}
