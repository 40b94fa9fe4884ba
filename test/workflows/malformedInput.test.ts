// Any client may start Arbiter's workflows and signal them (the Temporal CLI, the Web UI, other
// SDKs), so every entry point parses what it gets. Property: payloads generated at random — valid
// examples with values replaced, keys deleted or added, or plain garbage — started through the real
// client: each run either refuses its input at once (FAILED, non-retryable BAD_INPUT naming the
// field) or goes on normally; no workflow task ever fails, so nothing is stuck retrying it. Malformed
// signals are recorded and ignored, malformed updates refused by their validator.
import { readdirSync, readFileSync } from 'node:fs';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { WORKFLOW_TYPES } from '../../src/shared/constants.js';
import { ContractInput } from '../../src/shared/contract.js';
import { LedgerInput } from '../../src/shared/ledgerMessages.js';
import { CancelRequest, cancelReasonSignal, reviewSignal, reviewUpdate } from '../../src/shared/messages.js';
import { PlanInput, RequestInput } from '../../src/shared/plan.js';
import { reviewProblem } from '../../src/shared/review.js';
import { mutated } from '../support/mutations.js';
import { clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

const yamlOf = (p: string): unknown => parseYaml(readFileSync(repoFile(p), 'utf8'));
const examples = (dir: string) => readdirSync(repoFile(dir)).map((f) => yamlOf(`${dir}/${f}`));
/** What a client can send: JSON values (the default payload converter's own encoding). */
const json = fc.jsonValue({ maxDepth: 3 });
const seed = Date.now();
const sample = <T>(arb: fc.Arbitrary<T>, n: number, offset: number): T[] =>
  fc.sample(arb, { numRuns: n, seed: seed + offset });

const CASES = [
  {
    type: WORKFLOW_TYPES.contract,
    what: 'contract workflow input',
    schema: ContractInput,
    payloads: () =>
      sample(
        fc.oneof(
          {
            weight: 4,
            arbitrary: mutated(
              examples('examples/contracts').map((contract) => ({ contract })),
              json,
            ),
          },
          { weight: 1, arbitrary: json },
        ),
        30,
        1,
      ),
  },
  {
    type: WORKFLOW_TYPES.plan,
    what: 'plan workflow input',
    schema: PlanInput,
    payloads: () =>
      sample(
        fc.oneof(
          mutated(
            examples('examples/plans').map((plan) => ({ plan })),
            json,
          ),
          json,
        ),
        12,
        2,
      ),
  },
  {
    type: WORKFLOW_TYPES.request,
    what: 'request workflow input',
    schema: RequestInput,
    payloads: () =>
      sample(fc.oneof(mutated([{ prompt: 'Build a dashboard', planId: 'p' }], json), json), 8, 3),
  },
  {
    type: WORKFLOW_TYPES.agentLedger,
    what: 'agent ledger input',
    schema: LedgerInput,
    payloads: () => sample(fc.oneof(mutated([{ agentId: 'analyst' }], json), json), 8, 4),
  },
] as const;

let client: Client;
let connection: Connection;
const config = testConfig();

beforeAll(async () => {
  ({ client, connection } = await clientFor(config));
});
afterAll(async () => {
  await connection.close();
});

/** Whether the run's history has a failed workflow task: a payload it could not handle. */
async function workflowTaskFailed(workflowId: string): Promise<boolean> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).some((e) => e.workflowTaskFailedEventAttributes);
}

/** Closed, or its last workflow task done with none pending: it has handled its input. */
async function settled(workflowId: string): Promise<boolean> {
  const d = await client.workflow.getHandle(workflowId).describe();
  return d.status.name !== 'RUNNING' || (!d.raw.pendingWorkflowTask && d.historyLength > 3);
}

async function untilAll(ids: string[], timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let waiting = ids;
  while (waiting.length > 0 && Date.now() < end) {
    const done = await Promise.all(waiting.map(settled));
    waiting = waiting.filter((_, i) => !done[i]);
    if (waiting.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return waiting;
}

describe(`workflow entry points under generated payloads (seed ${seed})`, () => {
  it('refuse a malformed input at once, naming the field, and never fail a workflow task', async () => {
    const started: { id: string; refused: boolean; what: string }[] = [];
    await withWorker(config, async () => {
      for (const c of CASES) {
        for (const [i, payload] of c.payloads().entries()) {
          const id = `malformed/${c.type}/${seed}/${i}`;
          await client.workflow.start(c.type, {
            taskQueue: config.taskQueue,
            workflowId: id,
            args: [payload],
          });
          started.push({ id, refused: !c.schema.safeParse(payload).success, what: c.what });
        }
      }
      const stuck = await untilAll(
        started.map((s) => s.id),
        90_000,
      );
      expect(stuck).toEqual([]);
    });
    const failedTasks = (await Promise.all(started.map((s) => workflowTaskFailed(s.id)))).filter(Boolean);
    expect(failedTasks).toHaveLength(0);
    for (const s of started.filter((x) => x.refused)) {
      const failure = await client.workflow
        .getHandle(s.id)
        .result()
        .then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowFailedError ? err.cause : err),
        );
      expect(failure, s.id).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe('BAD_INPUT');
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);
      expect((failure as ApplicationFailure).message).toMatch(
        new RegExp(`^invalid ${s.what} \\(\\d+ problems?\\): `),
      );
    }
    // Clean up what took a valid input and waits (reviews, ledgers).
    await Promise.all(
      started
        .filter((s) => !s.refused)
        .map((s) =>
          client.workflow
            .getHandle(s.id)
            .terminate('test over')
            .catch(() => undefined),
        ),
    );
    // The property needs both kinds to have been tried.
    expect(started.some((s) => s.refused)).toBe(true);
    // The figures docs/reliability.md reports, for this seed.
    const refused = started.filter((s) => s.refused).length;
    console.info(
      `malformed input: ${started.length} payloads started, ${refused} refused as BAD_INPUT, ` +
        `${started.length - refused} valid, 0 stuck, 0 failed workflow tasks (seed ${seed})`,
    );
  });

  it('ignore and record malformed signals, refuse malformed updates, and still take a valid answer', async () => {
    const c = testConfig();
    const arbiter = await Arbiter.connect(c);
    const forecast = ContractInput.parse({
      contract: yamlOf('examples/contracts/quarterly-forecast.yaml'),
    }).contract;
    const answers = sample(
      fc.oneof(mutated([{ decision: 'approve', reviewer: 'alice', reason: 'ok' }], json), json),
      30,
      5,
    );
    const cancels = sample(fc.oneof(mutated([{ reason: 'why', by: 'me' }], json), json), 10, 6);
    try {
      const state = await withWorker(c, async () => {
        const { workflowId } = await arbiter.submitContract({ ...forecast, id: `malformed-signals-${seed}` });
        const handle = arbiter.client.workflow.getHandle(workflowId);
        for (
          let i = 0;
          i < 100 && (await arbiter.contractStatus(workflowId)).status !== 'awaiting-review';
          i++
        ) {
          await new Promise((r) => setTimeout(r, 200));
        }
        const waiting = await arbiter.contractStatus(workflowId);
        const bad = answers.filter((a) =>
          reviewProblem(a, true, waiting.review!.permitted, waiting.review!.reviewers),
        );
        for (const a of bad) {
          await handle.signal(reviewSignal, a as never);
          await expect(handle.executeUpdate(reviewUpdate, { args: [a as never] })).rejects.toBeInstanceOf(
            WorkflowUpdateFailedError,
          );
        }
        const badCancels = cancels.filter((x) => !CancelRequest.safeParse(x).success);
        for (const x of badCancels) await handle.signal(cancelReasonSignal, x as never);
        const still = await arbiter.contractStatus(workflowId);
        expect(still.status).toBe('awaiting-review');
        const ignored = still.trail.filter((e) => e.kind === 'signal-ignored');
        expect(ignored).toHaveLength(bad.length + badCancels.length);
        console.info(
          `malformed messages: ${bad.length} review answers refused (as signal and as update), ` +
            `${badCancels.length} cancel reasons ignored, ${ignored.length} signal-ignored trail events (seed ${seed})`,
        );
        await arbiter.review(workflowId, { decision: 'approve', reviewer: 'alice', reason: 'fine' });
        return arbiter.contractResult(workflowId);
      });
      expect(state.outcome).toBe('SUCCEEDED');
      expect(await workflowTaskFailed(state.workflowId)).toBe(false);
    } finally {
      await arbiter.close();
    }
  });
});
