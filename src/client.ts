// The Arbiter client library (SPEC §3): connection from the environment, and the flow's
// vocabulary as typed methods. The CLI is a thin layer over this file.
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { addressOf, loadConfig, type Config } from './config.js';
import { contractWorkflowId } from './shared/constants.js';
import { Contract } from './shared/contract.js';
import type { ContractState } from './shared/decision.js';
import { ArbiterError } from './shared/errors.js';
import { validate } from './shared/load.js';
import { reviewUpdate, stateQuery, type ReviewAnswer } from './shared/messages.js';
import type { contractWorkflow } from './workflows/index.js';

export type { Contract, ContractState, ReviewAnswer };

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
    const workflowId = contractWorkflowId(valid.id);
    try {
      await this.client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
        taskQueue: this.config.taskQueue,
        workflowId,
        args: [{ contract: valid }],
        // An id that runs or ran is refused by the server, atomically, even for concurrent
        // submissions: exactly one caller starts the run, the others get the existing one.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `contract ${valid.id}: ${valid.title}`,
      });
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw err;
    }
  }

  /** Resolves a user's id (`contract/x`, `plan/p/x` or a bare `x`) to an existing workflow. */
  async resolve(id: string): Promise<WorkflowHandle<typeof contractWorkflow>> {
    const candidates = id.includes('/') ? [id] : [contractWorkflowId(id), `plan/${id}`];
    for (const workflowId of candidates) {
      const handle = this.client.workflow.getHandle<typeof contractWorkflow>(workflowId);
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

  /** The contract's state: live from the workflow while it runs, from its result once closed. */
  async status(id: string): Promise<ContractState> {
    const handle = await this.resolve(id);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') return handle.query(stateQuery);
    if (status.name === 'COMPLETED') return handle.result();
    throw new ArbiterError('CONTRACT_FAILED', `${handle.workflowId} ended as ${status.name}`);
  }

  /** Waits for the contract's end and returns its final state. */
  async result(id: string): Promise<ContractState> {
    return (await this.resolve(id)).result();
  }

  async audit(id: string): Promise<ContractState> {
    return this.status(id);
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
      const { why, deadline, permitted } = state.review;
      items.push({ workflowId: wf.workflowId, title: state.title, why, deadline, permitted });
    }
    return items;
  }
}
