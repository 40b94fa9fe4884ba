// Property tests: random and mutated inputs into every loader. Whatever a user feeds Arbiter, a
// loader either accepts it or throws an ArbiterError (BAD_INPUT / POLICY_INVALID, exit 2) whose
// message names the file — never a TypeError, never a stack trace.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { garbage, mutate, mutated, mutationOf } from '../support/mutations.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../src/governance/policy.js';
import { AgentsFile } from '../../src/shared/agent.js';
import { Contract, Plan } from '../../src/shared/contract.js';
import { ArbiterError } from '../../src/shared/errors.js';
import {
  loadAgents,
  loadContract,
  loadPlan,
  loadSubmission,
  readDocument,
  validate,
} from '../../src/config/files.js';
import { ReviewersFile } from '../../src/shared/reviewers.js';
import { reviewProblem } from '../../src/shared/review.js';

const RUNS = 200;
const POLICY_RUNS = 60; // each run validates a whole Cedar set (~40 ms)
const repo = (p: string) => new URL(`../../${p}`, import.meta.url).pathname;
const yamlOf = (p: string): unknown => parseYaml(readFileSync(repo(p), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'arbiter-prop-'));

const contracts = readdirSync(repo('examples/contracts')).map((f) => yamlOf(`examples/contracts/${f}`));
const plans = readdirSync(repo('examples/plans')).map((f) => yamlOf(`examples/plans/${f}`));
const agents = yamlOf('agents.yaml');
const reviewers = yamlOf('config/reviewers.yaml');

/** Only ArbiterError with an exit-2 code, naming `where`, and one `path: problem` line per detail. */
function expectCleanRefusal(err: unknown, where: string, codes: string[] = ['BAD_INPUT']): void {
  if (!(err instanceof ArbiterError)) throw err;
  expect(codes).toContain(err.code);
  expect(err.exitCode).toBe(2);
  expect(err.message).toContain(where);
}

function accepts(fn: () => unknown, where: string, codes?: string[]): void {
  try {
    fn();
  } catch (err) {
    expectCleanRefusal(err, where, codes);
  }
}

// --- properties -------------------------------------------------------------------------------

describe('loaders under random and mutated input', () => {
  const schemas = [
    ['contract', Contract, contracts],
    ['plan', Plan, plans],
    ['agents file', AgentsFile, [agents]],
    ['reviewers file', ReviewersFile, [reviewers]],
  ] as const;

  it('the valid examples are valid (the properties start from real documents)', () => {
    for (const [what, schema, docs] of schemas) {
      for (const d of docs) expect(() => validate(schema, d, 'example.yaml', what)).not.toThrow();
    }
  });

  for (const [what, schema, docs] of schemas) {
    it(`validate(${what}) accepts or refuses cleanly, naming file and field path`, () => {
      fc.assert(
        fc.property(fc.oneof(mutated([...docs]), garbage), (value) => {
          try {
            validate(schema, value, 'input.yaml', what);
          } catch (err) {
            expectCleanRefusal(err, 'input.yaml');
            const details = (err as ArbiterError).details;
            expect(details.length).toBeGreaterThan(0);
            for (const d of details) expect(d).toMatch(/^\S.*: /);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('file loaders refuse mutated documents and broken YAML/JSON text cleanly', () => {
    const yamlText = fc
      .tuple(fc.constantFrom(...contracts, ...plans, agents), fc.array(mutationOf(garbage), { maxLength: 3 }))
      .map(([d, ms]) => stringifyYaml(JSON.parse(JSON.stringify(mutate(d, ms)) ?? 'null')));
    const brokenText = fc
      .tuple(yamlText, fc.nat(), fc.nat(), fc.string({ maxLength: 20 }))
      .map(([t, a, b, s]) => t.slice(0, a % (t.length + 1)) + s + t.slice(b % (t.length + 1)));
    const text = fc.oneof(
      yamlText,
      brokenText,
      fc.string(),
      fc.constantFrom(
        '{',
        'a: [1, 2',
        'key: value\nkey: again',
        '\t- x',
        ': :',
        '- - -',
        '{"a": }',
        '\u0000',
      ),
    );
    let n = 0;
    fc.assert(
      fc.property(text, fc.constantFrom('.yaml', '.yml', '.json'), (body, ext) => {
        n += 1;
        const file = join(dir, `doc-${n}${ext}`);
        writeFileSync(file, body);
        for (const load of [loadContract, loadPlan, loadAgents, loadSubmission, readDocument]) {
          accepts(() => load(file), file);
        }
      }),
      { numRuns: RUNS },
    );
    accepts(() => loadContract(join(dir, 'missing.yaml')), join(dir, 'missing.yaml'));
  });

  it('loadPolicySet accepts or refuses mutated Cedar text with POLICY_INVALID naming the folder', () => {
    const files = ['routing.cedar', 'data.cedar', 'review.cedar', 'schema.cedarschema'];
    const edit = fc.record({
      file: fc.constantFrom(...files),
      at: fc.nat(),
      cut: fc.nat({ max: 40 }),
      insert: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(
          '@id("capability-match")',
          '@route("MAYBE")',
          '@reviewWithin("soon")',
          ';',
          '}',
          '"',
          '@',
        ),
      ),
    });
    let n = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        n += 1;
        const target = join(dir, `policies-${n}`);
        cpSync(repo('policies'), target, { recursive: true });
        for (const e of edits) {
          const path = join(target, e.file);
          const t = readFileSync(path, 'utf8');
          const at = e.at % (t.length + 1);
          writeFileSync(path, t.slice(0, at) + e.insert + t.slice(at + e.cut));
        }
        accepts(() => loadPolicySet(target), target, ['POLICY_INVALID']);
      }),
      { numRuns: POLICY_RUNS },
    );
  });

  it('reviewProblem never throws: any answer gets a reason or passes', () => {
    const answer = fc.oneof(
      garbage,
      fc.record(
        {
          decision: fc.oneof(fc.constantFrom('approve', 'reject'), garbage),
          reviewer: fc.oneof(fc.constantFrom('alice', '', ' ', '*'), garbage),
          reason: fc.oneof(fc.string(), garbage),
          // JSON a Web UI signal can carry, incl. objects whose toString/valueOf are not functions.
          agentId: fc.oneof(
            fc.constantFrom('analyst', 'ghost'),
            garbage,
            fc.dictionary(fc.constantFrom('toString', 'valueOf', 'id'), fc.jsonValue({ maxDepth: 1 })),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(
        answer,
        fc.boolean(),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.array(fc.oneof(fc.constant('*'), fc.string()), { maxLength: 3 }),
        (a, waiting, permitted, allowed) => {
          const problem = reviewProblem(a, waiting, permitted, allowed);
          expect(problem === undefined || typeof problem === 'string').toBe(true);
          if (!waiting) expect(problem).toBeDefined();
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });
});
