// The demo's tool part: an `openai` agent on the local model with the example MCP files server
// (examples/mcp/files-server.ts, started over stdio by the demo's worker, on a copy of
// examples/mcp/files so nothing in the repo changes), registered in an agents file of the demo's
// own in region on-prem, and a contract only it may take (examples/mcp/tidy-notes.yaml). Every call
// the model asks for is decided by policy; the demo answers any review as its reviewer and prints
// the trail and what the server saw. A 135M model calls tools unreliably: what it did is printed
// as it happened.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Document, isSeq, parseDocument } from 'yaml';
import type { Arbiter } from '../../client.js';
import { loadContract } from '../../config/files.js';
import type { Config } from '../../config/settings.js';
import { LOCAL_MODEL_ID } from '../../llm/localServer.js';
import type { ContractState } from '../../shared/decision.js';
import { webUiLink } from '../output.js';

const examples = fileURLToPath(new URL('../../../examples/mcp/', import.meta.url));
const AGENT_ID = 'librarian';

export interface DemoTools {
  /** The demo's config: the same, with the agents file that registers the tool agent. */
  config: Config;
  /** Runs the tool agent's contract, answers its reviews, and prints what happened. */
  run(arbiter: Arbiter, suffix: string, say: (line?: string) => void, uiUrl: string): Promise<void>;
}

/** The configured agents file with the tool agent appended, and the folder its server serves. */
export function startDemoTools(config: Config, log: (line: string) => void): DemoTools {
  const dir = join(config.dataDir, `demo-mcp-${Date.now().toString(36)}`);
  const root = join(dir, 'files');
  const journal = join(dir, 'journal.jsonl');
  mkdirSync(dir, { recursive: true });
  cpSync(join(examples, 'files'), root, { recursive: true });
  const doc = parseDocument(readFileSync(config.agentsFile, 'utf8'));
  const agents = doc.get('agents');
  if (!isSeq(agents)) throw new Error(`${config.agentsFile}: agents: must be a list`);
  const entry = new Document().createNode({
    id: AGENT_ID,
    description: 'Example tool-using agent: the local model with the files MCP server (examples/mcp).',
    capabilities: { domains: ['data'] },
    endpoint: {
      kind: 'openai',
      model: LOCAL_MODEL_ID,
      systemPrompt:
        'You tidy a notes folder. Read the welcome note notes/welcome.md, then delete the old draft drafts/old-draft.md, then answer with a summary.',
      tools: [
        {
          id: 'files',
          command: process.execPath,
          args: ['--import', 'tsx', join(examples, 'files-server.ts'), '--root', root, '--journal', journal],
          allow: ['read_file', 'delete_file'],
        },
      ],
      maxTurns: 3,
    },
    // Public work in region on-prem only: no other demo contract can fall back to it.
    clearance: 'public',
    region: 'on-prem',
    timeout: '120s',
  });
  entry.commentBefore = ' Added by `arbiter demo`: a tool-using agent on the local model.';
  agents.items.push(entry);
  const file = join(config.dataDir, 'demo-tool-agents.yaml');
  writeFileSync(file, doc.toString());
  log(`tool agent "${AGENT_ID}": files MCP server over stdio on ${root}`);

  return {
    config: { ...config, agentsFile: file },
    async run(arbiter, suffix, say, uiUrl) {
      const contract = loadContract(join(examples, 'tidy-notes.yaml'));
      contract.id = `${contract.id}-${suffix}`;
      say(`Tool-using agent: ${contract.id} (examples/mcp/tidy-notes.yaml, region on-prem)`);
      say(
        `  agent ${AGENT_ID}: the local model with the files MCP server; policies/tools.cedar decides each call`,
      );
      if (!process.env.OPENAI_BASE_URL && !process.env.OPENAI_API_KEY) {
        say('  skipped: no LLM (run `npm run setup` to provision the local model, or set OPENAI_BASE_URL)');
        return;
      }
      const { workflowId } = await arbiter.submitContract(contract);
      const s = await untilDone(arbiter, workflowId, say);
      say(
        `  route ${s.decision?.route}  agent ${s.agentId ?? '-'}  outcome ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`,
      );
      // The trail from the loop's start: turns, decisions, calls, reviews, the end.
      const from = s.trail.findIndex((e) => e.kind === 'tools-discovered');
      for (const e of from < 0 ? s.trail : s.trail.slice(from)) say(`    ${e.step.padEnd(7)} ${e.summary}`);
      const seen = existsSync(journal)
        ? readFileSync(journal, 'utf8')
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as { tool: string; args: unknown })
        : [];
      say(
        `  the MCP server ran: ${seen.map((j) => `${j.tool} ${JSON.stringify(j.args).slice(0, 80)}`).join('; ') || 'nothing'}`,
      );
      const decided = s.trail.filter((e) => e.kind === 'tool-decided');
      if (!decided.some((e) => e.kind === 'tool-decided' && e.data.tool === 'files/delete_file')) {
        say(
          '  (the local model did not ask for the destructive call this time: a 135M model calls tools unreliably;',
        );
        say('   test/workflows/toolLoop.test.ts drives the same loop with a scripted model for every route)');
      }
      say(`  Web UI ${webUiLink(uiUrl, arbiter.config.namespace, workflowId)}`);
    },
  };
}

/** Waits for the contract, answering each tool call a person must decide as the demo reviewer. */
async function untilDone(
  arbiter: Arbiter,
  workflowId: string,
  say: (line?: string) => void,
): Promise<ContractState> {
  let answered = 0;
  for (;;) {
    const s = await arbiter.contractStatus(workflowId);
    if (s.outcome) return arbiter.contractResult(workflowId);
    const opened = s.trail.filter((e) => e.kind === 'review-opened' && e.data.level === 0).length;
    if (s.status === 'awaiting-review' && s.review && opened > answered) {
      answered = opened;
      say(`  asks a person: ${s.review.why.join('; ')}`);
      // The folder is the demo's own copy: approving shows the whole path (approved, decided again, run).
      await arbiter.review(workflowId, {
        decision: 'approve',
        reviewer: 'demo-reviewer',
        reason: 'demo: the folder is a copy',
      });
      say('  approved by demo-reviewer');
    }
    await sleep(300);
  }
}
