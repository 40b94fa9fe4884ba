// `npm run eval` (docs/judgement.md): classification and contract generation measured on the
// evaluation set, for every method — rules only, rules + the embedded local model, rules + any
// OpenAI-compatible model when OPENAI_BASE_URL / OPENAI_API_KEY is set — through the product's
// own activities, with the repo's Cedar policies deciding who would see each text.
//
//   npx tsx eval/run.ts [--part dev|heldback|all] [--no-generation] [--misses]
//                       [--local-model FILE.gguf]...   (extra embedded candidates)
//
// Held-back texts are scored but their individual misses are never printed (see eval/README.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyActivities } from '../src/activities/classify.js';
import { loadDeps, type Deps } from '../src/activities/deps.js';
import { generateActivities } from '../src/activities/generate.js';
import { RuleClassifier } from '../src/governance/classifier.js';
import { loadConfig } from '../src/config/settings.js';
import { startLocalModelServer } from '../src/llm/localServer.js';
import { localEmbeddingModelPath, localModelPath } from '../src/llm/modelPath.js';
import type { Contract, Plan } from '../src/shared/contract.js';
import type { Classification } from '../src/shared/decision.js';
import {
  planQuality,
  median,
  scoreClassification,
  type ClassificationReport,
  type Judged,
} from './metrics.js';
import { loadRequests, loadTexts, PARTS, partsOf, toContract, type Part } from './set.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const REGULATED = ['finance', 'health', 'legal'];

function args() {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const part = value('--part') ?? 'all';
  if (part !== 'all' && !PARTS.includes(part as Part)) {
    process.stderr.write(`--part must be ${PARTS.join(', ')} or all, not "${part}"\n`);
    process.exit(2);
  }
  const extra = argv.flatMap((a, i) => (a === '--local-model' && argv[i + 1] ? [argv[i + 1]!] : []));
  return {
    parts: (part === 'all' ? [...PARTS] : [part]) as Part[],
    generation: !argv.includes('--no-generation'),
    misses: argv.includes('--misses'),
    extraModels: extra,
    /** Also the embedded chat model as the judge (what the default was before the embedding judge). */
    candidates: argv.includes('--candidates'),
    /** Also the embedded judge with rules that never match: how good the judge is on its own. */
    judgeOnly: argv.includes('--judge-only'),
    /** Chat models as judge are slow: run them on this part only (generation: the held-back requests). */
    candidatePart: value('--candidate-part') as Part | undefined,
    /** With --misses: only the methods whose name starts with this. */
    only: value('--only'),
  };
}

interface Method {
  name: string;
  /** Model named as docs/judgement.md names it. */
  model: string;
  deps: Deps;
  loadMs?: number;
  close(): Promise<void>;
}

const base = loadDeps({ ...loadConfig({}, root), dataDir: join(root, '.arbiter', 'eval') });
const domains = Object.keys(base.classifier.ruleSet.domains);
const agents = [...base.agents.values()];
const noLlm: Deps = { ...base, llm: { model: 'none', timeoutMs: 1, classifyTimeoutMs: 1 } };

const mb = (file: string) => `${Math.round(statSync(file).size / 1e6)} MB`;

/**
 * The embedded server on one model file. `judge: 'default'` classifies as `arbiter dev` does
 * (the embedding judge when the server has one); `chat` asks the chat model, for comparison.
 */
/** Rules that never match: every text goes to the judge. */
const noRules = new RuleClassifier({
  threshold: base.classifier.ruleSet.threshold,
  domains: Object.fromEntries(domains.map((d) => [d, { keywords: ['/(?!)/'], weight: 1 }])),
});

async function localMethod(
  name: string,
  modelPath: string,
  judge: 'default' | 'chat',
  rules: 'rules' | 'none' = 'rules',
): Promise<Method> {
  const embeddingPath = judge === 'default' ? localEmbeddingModelPath() : undefined;
  const started = Date.now();
  const server = await startLocalModelServer({
    port: 0,
    modelPath,
    embeddingModelPath: embeddingPath ?? null,
  });
  const loadMs = Date.now() - started;
  const judging = embeddingPath
    ? `; judge ${basename(embeddingPath)} (${mb(embeddingPath)})`
    : '; judge: the chat model';
  return {
    name,
    model: `chat ${basename(modelPath)} (${mb(modelPath)})${judging}; in process via node-llama-cpp`,
    deps: {
      ...base,
      ...(rules === 'none' ? { classifier: noRules } : {}),
      llm: {
        baseURL: server.baseURL,
        model: server.model,
        timeoutMs: 300_000,
        classifyTimeoutMs: 120_000,
        ...(judge === 'chat' ? { embeddingModel: 'off' } : {}),
      },
    },
    loadMs,
    close: () => server.stop(),
  };
}

interface ClassifiedText {
  id: string;
  part: Part;
  expected: string;
  got: string;
  confidence: number;
  method: string;
  reasoning: string[];
}

interface Row extends ClassifiedText, Omit<Judged, 'human'> {
  contract: Contract;
  classification: Classification;
}

async function classifyAll(m: Method, part: Part): Promise<Row[]> {
  const activities = classifyActivities(m.deps);
  const rows: Row[] = [];
  for (const t of loadTexts(part)) {
    const contract = toContract(t);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const c = await activities.classify(contract);
    const latencyMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    rows.push({
      id: t.id,
      part,
      expected: t.expected,
      got: c.domain,
      confidence: c.confidence,
      method: c.method,
      reasoning: c.reasoning,
      contract,
      classification: c,
      latencyMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  }
  return rows;
}

/**
 * Who would see each text, by the repo's Cedar policies and agents (agents unmeasured, as on a
 * fresh install). Evaluated after every model server has stopped: Node 20's optimizing compiler
 * crashed (V8 fatal "unreachable code" in a lazy deopt) when policy code that was already hot met
 * node-llama-cpp loading a model in the same process.
 */
function judged(rows: readonly Row[]): (Judged & Row & { route: string })[] {
  return rows.map((r) => {
    const route = base.policy.evaluate({
      contract: r.contract,
      classification: r.classification,
      agents,
    }).route;
    return { ...r, route, human: route === 'HUMAN_REVIEW' };
  });
}

interface GeneratedRequest {
  id: string;
  part: Part;
  by: 'llm' | 'fallback';
  reason?: string;
  attempts: number;
  titles: string[];
  quality?: ReturnType<typeof planQuality>;
  latencyMs: number;
}

async function generateAll(m: Method, part: Part): Promise<GeneratedRequest[]> {
  const activities = generateActivities(m.deps);
  const out: GeneratedRequest[] = [];
  for (const r of loadRequests(part)) {
    const t0 = performance.now();
    let plan: Plan | undefined;
    let by: 'llm' | 'fallback' = 'fallback';
    let reason: string | undefined;
    let attempts: number;
    try {
      const g = await activities.generatePlan({ prompt: r.request, planId: r.id });
      plan = g.plan;
      by = g.method;
      reason = g.reason;
      attempts = g.attempts;
    } catch (err) {
      // The request workflow degrades such a failure to one reviewed contract.
      reason = (err as Error).message;
      attempts = 2;
    }
    out.push({
      id: r.id,
      part,
      by,
      ...(reason ? { reason } : {}),
      attempts,
      titles: plan?.contracts.map((c) => c.title) ?? [],
      ...(plan && by === 'llm' ? { quality: planQuality(plan, r.request, r.mustCover) } : {}),
      latencyMs: performance.now() - t0,
    });
  }
  return out;
}

const pct = (x: number) => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? `${x.toFixed(2)} ms` : `${Math.round(x)} ms`);

function classificationTable(
  results: { method: string; part: Part | 'all'; report: ClassificationReport }[],
) {
  const lines = [
    '| method | part | texts | accuracy | regulated FP rate | to a person | p50 latency / text | CPU / text |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { method, part, report: r } of results) {
    lines.push(
      `| ${method} | ${part} | ${r.n} | ${pct(r.accuracy)} | ${pct(r.regulatedFpRate)} (${r.regulatedFp}) | ${pct(r.humanShare)} | ${ms(r.p50LatencyMs)} | ${ms(r.cpuMsPerText)} |`,
    );
  }
  return lines;
}

function perDomainTable(results: { method: string; part: Part | 'all'; report: ClassificationReport }[]) {
  const cols = [...domains, 'unknown'];
  const lines = [
    `| method | part | ${cols.map((d) => `${d} P / R`).join(' | ')} |`,
    `| --- | --- | ${cols.map(() => '---:').join(' | ')} |`,
  ];
  const f = (x: number) => (Number.isNaN(x) ? '–' : (x * 100).toFixed(0));
  for (const { method, part, report: r } of results) {
    lines.push(
      `| ${method} | ${part} | ${cols.map((d) => `${f(r.perDomain[d]!.precision)} / ${f(r.perDomain[d]!.recall)}`).join(' | ')} |`,
    );
  }
  return lines;
}

function generationTable(rows: { method: string; part: Part; gens: GeneratedRequest[] }[]) {
  const lines = [
    '| method | part | requests | plan by the model | schema-valid | distinct titles | dependencies sane | must-cover | repair rounds | fell back | p50 / request |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { method, part, gens } of rows) {
    const byLlm = gens.filter((g) => g.quality);
    const q = byLlm.map((g) => g.quality!);
    // Schema-valid: a plan the model wrote that parsed, accepted or refused only for reading badly.
    const valid = gens.filter((g) => g.by === 'llm' || (g.reason ?? '').includes('did not read like a plan'));
    lines.push(
      `| ${method} | ${part} | ${gens.length} | ${pct(byLlm.length / gens.length)} | ${pct(valid.length / gens.length)} | ${pct(q.filter((x) => x.distinctTitles).length / q.length)} | ${pct(q.filter((x) => x.dependenciesSane).length / q.length)} | ${pct(q.reduce((s, x) => s + x.coverage, 0) / q.length)} | ${gens.reduce((s, g) => s + Math.max(0, g.attempts - 1), 0)} | ${gens.length - byLlm.length} | ${ms(median(gens.map((g) => g.latencyMs)))} |`,
    );
  }
  return lines;
}

function machine(): string[] {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return [
    `- machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
    `- commit: ${commit}; run at ${new Date().toISOString()}`,
  ];
}

async function main() {
  const opts = args();
  const methods: (() => Promise<Method>)[] = [
    () => Promise.resolve({ name: 'rules only', model: '-', deps: noLlm, close: () => Promise.resolve() }),
  ];
  const embedded = localModelPath();
  if (embedded) {
    methods.push(() => localMethod('rules + embedded default', embedded, 'default'));
    if (opts.candidates)
      methods.push(() => localMethod(`rules + ${basename(embedded)} as judge`, embedded, 'chat'));
    if (opts.judgeOnly)
      methods.push(() => localMethod('embedding judge alone (no rules)', embedded, 'default', 'none'));
  } else process.stderr.write('eval: no local model provisioned (run node scripts/setup.mjs); skipping it\n');
  for (const file of opts.extraModels) {
    methods.push(() => localMethod(`rules + ${basename(file)} as judge`, file, 'chat'));
  }
  if (process.env.OPENAI_BASE_URL || process.env.OPENAI_API_KEY) {
    const llm = base.llm;
    methods.push(() =>
      Promise.resolve({
        name: `rules + ${llm.model} (OPENAI_*)`,
        model: `${llm.model} at ${llm.baseURL ?? 'api.openai.com'}`,
        deps: { ...base, llm: { ...llm, classifyTimeoutMs: Math.max(llm.classifyTimeoutMs, 60_000) } },
        close: () => Promise.resolve(),
      }),
    );
  }

  const rowsOf: { method: string; part: Part; rows: Row[] }[] = [];
  const generated: { method: string; part: Part; gens: GeneratedRequest[] }[] = [];
  const models: string[] = [];
  for (const make of methods) {
    const m = await make();
    try {
      models.push(`- ${m.name}: ${m.model}${m.loadMs !== undefined ? `; loaded in ${m.loadMs} ms` : ''}`);
      const candidate = m.name.endsWith('as judge') && opts.candidatePart;
      const parts = candidate ? [opts.candidatePart!] : opts.parts;
      for (const part of parts.filter((p) => partsOf('classification').includes(p))) {
        process.stderr.write(`eval: classifying the ${part} texts with ${m.name}\n`);
        const rows = await classifyAll(m, part);
        rowsOf.push({ method: m.name, part, rows });
        if (opts.misses && part === 'dev' && (!opts.only || m.name.startsWith(opts.only))) {
          for (const r of rows.filter((x) => x.expected !== x.got)) {
            process.stderr.write(
              `  miss ${r.id}: expected ${r.expected}, got ${r.got} (${r.confidence}, ${r.method}): ${r.reasoning.join(' | ')}\n`,
            );
          }
        }
      }
      // Generation needs a chat model; the variants of the embedded server write the same plans.
      const sameChatModel =
        m.name.includes(basename(embedded ?? '-')) || m.name.startsWith('embedding judge');
      if (opts.generation && m.name !== 'rules only' && !sameChatModel) {
        const genParts: Part[] = candidate ? ['heldback'] : opts.parts;
        for (const part of genParts.filter((p) => partsOf('generation').includes(p))) {
          process.stderr.write(`eval: generating plans for the ${part} requests with ${m.name}\n`);
          const gens = await generateAll(m, part);
          generated.push({ method: m.name, part, gens });
          if (opts.misses && part === 'dev') {
            for (const g of gens) {
              process.stderr.write(
                `  ${g.id}: ${g.by}${g.reason ? ` (${g.reason})` : ''}: ${g.titles.join(' / ')}\n`,
              );
            }
          }
        }
      }
    } finally {
      await m.close();
    }
  }

  const scored = (rows: Row[]) => scoreClassification(judged(rows), [...domains, 'unknown'], REGULATED);
  const classified: { method: string; part: Part | 'all'; report: ClassificationReport }[] = [];
  for (const method of [...new Set(rowsOf.map((r) => r.method))]) {
    const mine = rowsOf.filter((r) => r.method === method);
    for (const { part, rows } of mine) classified.push({ method, part, report: scored(rows) });
    if (mine.length > 1)
      classified.push({ method, part: 'all', report: scored(mine.flatMap((r) => r.rows)) });
  }

  const report = [
    '# Judgement: evaluation results',
    '',
    ...machine(),
    ...models,
    '',
    '## Classification',
    '',
    ...classificationTable(classified),
    '',
    'Precision / recall per domain (%):',
    '',
    ...perDomainTable(classified),
    '',
    ...(generated.length
      ? ['## Generation', '', ...generationTable(generated), '']
      : ['Generation: not run (no model, or --no-generation).', '']),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.md'), `${report}\n`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // Per-text details only for the development part: held-back misses stay unread.
  const detail = {
    classified,
    devRows: rowsOf
      .filter((r) => r.part === 'dev')
      .map(({ method, rows }) => ({
        method,
        rows: rows.map(({ contract: _c, classification: _k, ...r }) => r),
      })),
    generated: generated.map((g) => ({ ...g, gens: g.part === 'dev' ? g.gens : undefined })),
  };
  writeFileSync(join(resultsDir, `${stamp}.json`), JSON.stringify(detail, null, 2));
}

main().catch((err: unknown) => {
  process.stderr.write(`eval failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
