// The Arbiter client library (SPEC §3): connection from the environment, and the flow's
// vocabulary as typed methods. The CLI is a thin layer over this file.
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { addressOf, loadConfig, type Config } from './config.js';
import { contractWorkflowId, planWorkflowId } from './shared/constants.js';
import { Contract, Plan } from './shared/contract.js';
import type { ContractState } from './shared/decision.js';
import { ArbiterError } from './shared/errors.js';
import { validate } from './shared/load.js';
import { cancelReasonSignal, reviewUpdate, stateQuery, type ReviewAnswer } from './shared/messages.js';
import type { PlanState } from './shared/plan.js';
import type { contractWorkflow, planWorkflow } from './workflows/index.js';

export type { Contract, ContractState, Plan, PlanState, ReviewAnswer };
export type RunState = ContractState | PlanState;

export const isPlanState = (s: RunState): s is PlanState => (s as PlanState).kind === 'plan';

function onlyContract(id: string, s: RunState): ContractState {
  if (isPlanState(s)) throw new ArbiterError('NOT_FOUND', `${id} is a plan, not a contract`);
  return s;
}

export function howToStart(address: string): string {
  return (
    `cannot reach Temporal at ${address}. Start the embedded stack with \`npx arbiter dev\` ` +
    '(or `npm run dev`), or set TEMPORAL_ADDRESS to a running server.'
  );
}

/** Connects to Temporal; an unreachable server is ArbiterError TEMPORAL_UNREACHABLE (exit 3). */
export async function connect(config: Config = loadConfig()): Promise<Connection> {
  const address = addressOf(config);
  try {
    return await Connection.connect({
      address,
      connectTimeout: '3s',
      ...(config.tls === true
        ? { tls: true }
        : config.tls
          ? {
              tls: {
                clientCertPair: {
                  crt: Buffer.from(config.tls.cert ?? ''),
                  key: Buffer.from(config.tls.key ?? ''),
                },
              },
            }
          : {}),
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    });
  } catch (err) {
    throw new ArbiterError('TEMPORAL_UNREACHABLE', howToStart(address), [
      (err as Error).message.split('\n')[0] ?? '',
    ]);
  }
}

export interface Submitted {
  workflowId: string;
  /** False when this id already ran or runs: the existing run is returned, never a second. */
  started: boolean;
}

export interface ReviewItem {
  workflowId: string;
  title: string;
  why: string[];
  deadline: string;
  permitted: string[];
  group?: string;
  reviewers?: string[];
}

export class Arbiter {
  private constructor(
    readonly config: Config,
    readonly connection: Connection,
    readonly client: Client,
  ) {}

  static async connect(config: Config = loadConfig()): Promise<Arbiter> {
    const connection = await connect(config);
    return new Arbiter(config, connection, new Client({ connection, namespace: config.namespace }));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Starts one contract as `contract/<id>`; the same id twice returns the first run. */
  async processContract(contract: Contract): Promise<Submitted> {
    const valid = validate(Contract, contract, 'contract', 'contract');
    return this.startOnce(
      'contractWorkflow',
      contractWorkflowId(valid.id),
      [{ contract: valid }],
      `contract ${valid.id}: ${valid.title}`,
    );
  }

  /** Starts a plan as `plan/<id>`, its contracts as `plan/<id>/<contractId>`; same id = same run. */
  async processPlan(plan: Plan): Promise<Submitted> {
    const valid = validate(Plan, plan, 'plan', 'plan');
    return this.startOnce(
      'planWorkflow',
      planWorkflowId(valid.id),
      [{ plan: valid }],
      `plan ${valid.id}: ${valid.title}`,
    );
  }

  private async startOnce(
    type: 'contractWorkflow' | 'planWorkflow',
    workflowId: string,
    args: Parameters<typeof contractWorkflow> | Parameters<typeof planWorkflow>,
    summary: string,
  ): Promise<Submitted> {
    try {
      await this.client.workflow.start(type, {
        taskQueue: this.config.taskQueue,
        workflowId,
        args,
        // An id that runs or ran is refused by the server, atomically, even for concurrent
        // submissions: exactly one caller starts the run, the others get the existing one.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: summary,
      });
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw err;
    }
  }

  /** Resolves a user's id (`contract/x`, `plan/p/x` or a bare `x`) to an existing workflow. */
  async resolve(id: string): Promise<WorkflowHandle> {
    const candidates = id.includes('/') ? [id] : [contractWorkflowId(id), planWorkflowId(id)];
    for (const workflowId of candidates) {
      const handle = this.client.workflow.getHandle(workflowId);
      try {
        await handle.describe();
        return handle;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    throw new ArbiterError('NOT_FOUND', `no contract or plan with id "${id}"`, [
      `tried ${candidates.join(', ')}; \`arbiter status\` takes the id printed by \`arbiter submit\``,
    ]);
  }

  /**
   * The state of a contract or plan: live from the workflow while it runs, from its result once
   * completed, and from a query (which needs a worker) once cancelled or terminated.
   */
  async status(id: string): Promise<RunState> {
    const handle = await this.resolve(id);
    const { status } = await handle.describe();
    if (status.name === 'COMPLETED') return (await handle.result()) as RunState;
    return handle.query<RunState>('state');
  }

  /** Waits for the end of a contract or plan and returns its final state. */
  async result(id: string): Promise<RunState> {
    const handle = await this.resolve(id);
    try {
      return (await handle.result()) as RunState;
    } catch (err) {
      if (err instanceof WorkflowFailedError) return handle.query<RunState>('state');
      throw err;
    }
  }

  /** A contract's final state; throws NOT_FOUND for a plan id. */
  async contractResult(id: string): Promise<ContractState> {
    return onlyContract(id, await this.result(id));
  }

  /** A contract's current state; throws NOT_FOUND for a plan id. */
  async contractStatus(id: string): Promise<ContractState> {
    return onlyContract(id, await this.status(id));
  }

  async audit(id: string): Promise<RunState> {
    return this.status(id);
  }

  /** Cancels a plan (and its running contracts) or a contract, recording who and why. */
  async cancel(id: string, reason: string, by: string): Promise<void> {
    const handle = await this.resolve(id);
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      throw new ArbiterError(
        'BAD_INPUT',
        `${handle.workflowId} has already ended (${status.name}); nothing to cancel`,
      );
    }
    await handle.signal(cancelReasonSignal, { reason, by });
    await handle.cancel();
  }

  /** Answers a review. Mistakes (wrong id, not waiting, forbidden agent) are refused at once. */
  async review(id: string, answer: ReviewAnswer): Promise<ContractState> {
    const handle = await this.resolve(id);
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      throw new ArbiterError(
        'REVIEW_REFUSED',
        `${handle.workflowId} is not waiting for review: it has ended`,
      );
    }
    try {
      return await handle.executeUpdate(reviewUpdate, { args: [answer] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const why = err.cause instanceof Error ? err.cause.message : err.message;
        throw new ArbiterError('REVIEW_REFUSED', `review of ${handle.workflowId} refused: ${why}`);
      }
      throw err;
    }
  }

  /** Contracts waiting for a person, with why and until when. */
  async reviews(): Promise<ReviewItem[]> {
    const items: ReviewItem[] = [];
    const query = `ArbiterRoute = "HUMAN_REVIEW" AND ExecutionStatus = "Running"`;
    for await (const wf of this.client.workflow.list({ query })) {
      const state = await this.client.workflow.getHandle(wf.workflowId).query(stateQuery);
      if (state.status !== 'awaiting-review' || !state.review) continue;
      const { why, deadline, permitted, group, reviewers } = state.review;
      items.push({
        workflowId: wf.workflowId,
        title: state.title,
        why,
        deadline,
        permitted,
        ...(group ? { group } : {}),
        ...(reviewers ? { reviewers } : {}),
      });
    }
    return items;
  }
}
