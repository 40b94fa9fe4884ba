// The Arbiter client library (SPEC §3): connection from the environment, and the flow's
// vocabulary as typed methods. The CLI is a thin layer over this file.
import type { Workflow } from '@temporalio/common';
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowExecutionDescription,
  type WorkflowStartOptions,
  type WorkflowHandle,
} from '@temporalio/client';
import { loadConfig, type Config } from './config/settings.js';
import { connectionSettings, unreachable } from './config/connection.js';
import {
  contractWorkflowId,
  equals,
  planWorkflowId,
  SEARCH_ATTRIBUTES as SA,
  WORKFLOW_TYPES,
} from './shared/constants.js';
import { Contract, Plan } from './shared/contract.js';
import { ContractState, type ReviewSubject } from './shared/decision.js';
import { ArbiterError } from './shared/errors.js';
import { validate } from './config/files.js';
import { contractStateWithoutWorker, type BundleSource } from './audit/source.js';
import { workflowBundle as defaultWorkflowBundle } from './runtime/workflowBundle.js';
import { readSnapshot } from './governance/ledgers.js';
import type { AgentSnapshot } from './shared/trust.js';
import { dataConverterFromEnv } from './security/codec.js';
import { tracingClientInterceptors } from './observability/tracing.js';
import {
  cancelReasonSignal,
  planStateQuery,
  reviewUpdate,
  stateQuery,
  type ReviewAnswer,
} from './shared/messages.js';
import { PROGRESS_MEMO, type PlanProgress, type PlanState } from './shared/plan.js';
import type { contractWorkflow, planWorkflow, requestWorkflow } from './workflows/index.js';
import { AreasFile, areasToPlan, slugify } from './shared/areas.js';

export type { Contract, ContractState, Plan, PlanState, ReviewAnswer };
export type RunState = ContractState | PlanState;

/** How long `approve` / `reject` wait for a worker to take the answer. */
const REVIEW_DEADLINE_MS = Number(process.env.ARBITER_REVIEW_WAIT_MS) || 20_000;
/** How long a query may wait for a worker before the history is read instead. */
const QUERY_DEADLINE_MS = 5_000;
/**
 * How long `status` waits for a running plan's per-contract detail before it shows the progress
 * counts the plan keeps in its memo instead (a plan busy with hundreds of children answers late).
 */
const PLAN_DETAIL_DEADLINE_MS = 800;
/** Queries in flight at once when `status` asks a plan's children whether they wait for a person. */
const CHILD_QUERIES = 8;

export const isPlanState = (s: RunState): s is PlanState => (s as PlanState).kind === 'plan';

/** A workflow's result as its type defines it: a contract's is parsed, never cast. */
function parseRunState(type: string, result: unknown): RunState {
  return type === WORKFLOW_TYPES.contract ? ContractState.parse(result) : (result as PlanState);
}

/** A running plan's state from its progress memo alone: the counts, no per-contract detail. */
function summaryState(workflowId: string, progress: PlanProgress): PlanState {
  return {
    kind: 'plan',
    workflowId,
    planId: workflowId.replace(/^plan\//, ''),
    title: progress.title,
    strategy: progress.strategy,
    maxParallel: progress.maxParallel,
    status: 'running',
    nodes: [],
    costUsd: progress.costUsd,
    runs: progress.runs,
    progress,
  };
}

function onlyContract(id: string, s: RunState): ContractState {
  if (isPlanState(s)) throw new ArbiterError('NOT_FOUND', `${id} is a plan, not a contract`);
  return s;
}

export { howToStart } from './config/connection.js';

/** Connects to Temporal; an unreachable server is ArbiterError TEMPORAL_UNREACHABLE (exit 3). */
export async function connect(config: Config = loadConfig()): Promise<Connection> {
  const settings = connectionSettings(config);
  try {
    // The SDK's own default: a busy server (or machine) may take seconds to answer its first call,
    // and "unreachable" must mean it did not answer, not that it was slow. A refused connection
    // still fails at once.
    return await Connection.connect({ ...settings, connectTimeout: '10s' });
  } catch (err) {
    throw unreachable(settings.address, err);
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
  /** What a person is asked about: the contract, a stage, a retry, an agent's question… */
  subject: ReviewSubject;
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
    /** The workflow code histories are replayed on when no worker can answer (built on first use). */
    readonly workflowBundle: BundleSource = defaultWorkflowBundle,
  ) {}

  static async connect(config: Config = loadConfig()): Promise<Arbiter> {
    const dataConverter = dataConverterFromEnv(); // bad ARBITER_CODEC_KEYS: exit 2 before connecting
    const connection = await connect(config);
    // OpenTelemetry: a contract's trace starts at its submission (only when OTEL_* asks for tracing).
    const interceptors = await tracingClientInterceptors();
    return new Arbiter(
      config,
      connection,
      new Client({
        connection,
        namespace: config.namespace,
        ...(dataConverter ? { dataConverter } : {}),
        ...(interceptors ? { interceptors } : {}),
      }),
    );
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Starts one contract as `contract/<id>`; the same id twice returns the first run. */
  async submitContract(contract: Contract): Promise<Submitted> {
    const valid = validate(Contract, contract, 'contract', 'contract');
    return this.startOnce<typeof contractWorkflow>(
      WORKFLOW_TYPES.contract,
      contractWorkflowId(valid.id),
      [{ contract: valid }],
      `contract ${valid.id}: ${valid.title}`,
    );
  }

  /** Starts a plan as `plan/<id>`, its contracts as `plan/<id>/<contractId>`; same id = same run. */
  async submitPlan(plan: Plan): Promise<Submitted> {
    const valid = validate(Plan, plan, 'plan', 'plan');
    return this.startOnce<typeof planWorkflow>(
      WORKFLOW_TYPES.plan,
      planWorkflowId(valid.id),
      [{ plan: valid }],
      `plan ${valid.id}: ${valid.title}`,
    );
  }

  /**
   * A request in words → a plan (`plan/<id>`): generated by the LLM in a workflow activity, checked,
   * then run. With no model, one contract for human review. The id defaults to a slug of the text.
   */
  async submitRequest(text: string, opts: { id?: string } = {}): Promise<Submitted> {
    const prompt = text.trim();
    if (!prompt)
      throw new ArbiterError('BAD_INPUT', '--prompt: the request is empty; describe the work to do');
    const planId = opts.id ?? slugify(prompt.split(/\s+/).slice(0, 8).join(' '));
    return this.startOnce<typeof requestWorkflow>(
      WORKFLOW_TYPES.request,
      planWorkflowId(planId),
      [{ prompt, planId }],
      `request: ${prompt.slice(0, 80)}`,
    );
  }

  /** Enhancement areas → a plan, deterministically (no LLM): the same areas give the same plan. */
  async submitAreas(areas: AreasFile, opts: { id?: string } = {}): Promise<Submitted> {
    const file = validate(AreasFile, areas, 'areas', 'areas');
    const plan = validate(Plan, areasToPlan(file, opts.id ?? file.id ?? 'areas'), 'areas', 'plan');
    if (opts.id) plan.id = opts.id;
    return this.submitPlan(plan);
  }

  /** Starts `type` with `args` (typed by the workflow function `W`) unless the id ran or runs. */
  private async startOnce<W extends Workflow>(
    type: (typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES],
    workflowId: string,
    args: Parameters<W>,
    summary: string,
  ): Promise<Submitted> {
    const options = {
      taskQueue: this.config.taskQueue,
      workflowId,
      args,
      // An id that runs or ran is refused by the server, atomically, even for concurrent
      // submissions: exactly one caller starts the run, the others get the existing one.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: summary,
    } as const;
    try {
      // The SDK's options type resolves `args` only for a concrete workflow type, not a generic W.
      await this.client.workflow.start<W>(type, options as unknown as WorkflowStartOptions<W>);
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw err;
    }
  }

  /** Resolves a user's id (`contract/x`, `plan/p/x` or a bare `x`) to an existing workflow. */
  async resolve(id: string): Promise<WorkflowHandle> {
    return (await this.resolveDescribed(id)).handle;
  }

  /**
   * Resolves an id and describes the workflow with the same call. A bare id asks for both
   * candidates at once (a contract wins over a plan of the same name), so a miss costs no extra
   * round trip.
   */
  private async resolveDescribed(
    id: string,
  ): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription }> {
    const candidates = id.includes('/') ? [id] : [contractWorkflowId(id), planWorkflowId(id)];
    const found = await Promise.all(
      candidates.map(async (workflowId) => {
        const handle = this.client.workflow.getHandle(workflowId);
        try {
          return { handle, description: await handle.describe() };
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      }),
    );
    const hit = found.find((f) => f !== undefined);
    if (hit) return hit;
    throw new ArbiterError('NOT_FOUND', `no contract or plan with id "${id}"`, [
      `tried ${candidates.join(', ')}; \`arbiter status\` takes the id printed by \`arbiter submit\``,
    ]);
  }

  /**
   * The state of a contract or plan: live from the workflow while it runs, from its result once
   * completed, and from a query (which needs a worker) once cancelled or terminated.
   */
  async status(id: string): Promise<RunState> {
    const { handle, description } = await this.resolveDescribed(id);
    const { status, type } = description;
    if (status.name === 'COMPLETED') return parseRunState(type, await handle.result());
    if (status.name === 'RUNNING' && type === WORKFLOW_TYPES.plan)
      return this.runningPlanState(handle, description);
    return this.liveState(handle, type, status.name === 'RUNNING');
  }

  /**
   * A running plan: its per-contract state when the plan answers within PLAN_DETAIL_DEADLINE_MS,
   * else the progress counts from its memo (read with the describe already made, no worker needed).
   * Contracts waiting for a person show as `awaiting-review` (the plan itself cannot tell).
   */
  private async runningPlanState(
    handle: WorkflowHandle,
    description: WorkflowExecutionDescription,
  ): Promise<RunState> {
    const progress = description.memo?.[PROGRESS_MEMO] as PlanProgress | undefined;
    const query = this.client.workflow.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      handle.query(planStateQuery),
    );
    // No memo yet (a plan just started, or one from before the memo existed): wait for the query.
    if (!progress) return this.withReviews(await query);
    const detail = await Promise.race([
      query.catch(() => undefined), // no answer (no worker, or too busy): the counts stand in
      new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), PLAN_DETAIL_DEADLINE_MS).unref(),
      ),
    ]);
    return detail ? this.withReviews(detail) : summaryState(handle.workflowId, progress);
  }

  /**
   * Marks the plan's running contracts that wait for a person. One visibility list finds the
   * candidates (a contract routed to review has ArbiterRoute HUMAN_REVIEW); each is then asked,
   * a few at a time, since a reviewed contract may be running again.
   */
  private async withReviews(plan: PlanState): Promise<PlanState> {
    const running = new Map(plan.nodes.filter((n) => n.status === 'running').map((n) => [n.workflowId, n]));
    if (running.size === 0) return plan;
    const query = [
      equals(SA.plan, plan.planId),
      equals(SA.route, 'HUMAN_REVIEW'),
      equals('ExecutionStatus', 'Running'),
    ].join(' AND ');
    const candidates: string[] = [];
    try {
      for await (const wf of this.client.workflow.list({ query })) {
        if (running.has(wf.workflowId)) candidates.push(wf.workflowId);
      }
    } catch {
      return plan; // visibility unavailable: the plan's own view is still right, just less precise
    }
    const ask = async (workflowId: string) => {
      const child = await this.client.workflow
        .getHandle(workflowId)
        .query(stateQuery)
        .catch(() => undefined);
      const node = running.get(workflowId);
      if (node && child?.status === 'awaiting-review' && child.review) {
        node.status = 'awaiting-review';
        node.review = { why: child.review.why, deadline: child.review.deadline };
      }
    };
    for (let i = 0; i < candidates.length; i += CHILD_QUERIES) {
      await Promise.all(candidates.slice(i, i + CHILD_QUERIES).map(ask));
    }
    return plan;
  }

  /**
   * A query while a worker answers; for a contract with no worker up (or one that has ended
   * without a result), the state rebuilt from its history, so `audit` works either way.
   */
  private async liveState(handle: WorkflowHandle, type: string, running: boolean): Promise<RunState> {
    const contract = type === WORKFLOW_TYPES.contract;
    const fromHistory = contract ? () => contractStateWithoutWorker(handle, this.workflowBundle) : undefined;
    if (fromHistory && !running) return fromHistory();
    try {
      return await this.client.workflow.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        contract
          ? handle.query(stateQuery).then((s) => ContractState.parse(s))
          : handle.query(planStateQuery),
      );
    } catch (err) {
      if (fromHistory) return fromHistory();
      throw err;
    }
  }

  /** Waits for the end of a contract or plan and returns its final state. */
  async result(id: string): Promise<RunState> {
    const handle = await this.resolve(id);
    try {
      return parseRunState((await handle.describe()).type, await handle.result());
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        return this.liveState(handle, (await handle.describe()).type, false);
      }
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
      // An Update is validated and applied by a worker: with none running it would wait forever.
      return await this.client.workflow.withDeadline(Date.now() + REVIEW_DEADLINE_MS, () =>
        handle.executeUpdate(reviewUpdate, { args: [answer] }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const why = err.cause instanceof Error ? err.cause.message : err.message;
        throw new ArbiterError('REVIEW_REFUSED', `review of ${handle.workflowId} refused: ${why}`);
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new ArbiterError(
          'NO_WORKER',
          `no worker took the review of ${handle.workflowId} within ${REVIEW_DEADLINE_MS / 1000} s`,
          [
            'the answer stays with Temporal and is checked and applied when a worker runs: start one with `npx arbiter worker` (or `npx arbiter dev`)',
            `then \`arbiter status ${id}\` shows whether it was applied; answering again is refused once it was`,
          ],
        );
      }
      throw err;
    }
  }

  /**
   * An agent's measured standing (trust, probation, circuit, outcome statistics) as its ledger on
   * this deployment's task queue answers it now; an agent that never ran is fresh. Throws when no
   * worker answers for its ledger within `timeoutMs`.
   */
  async agentSnapshot(agentId: string, timeoutMs?: number): Promise<AgentSnapshot> {
    return readSnapshot(this.client, this.config.taskQueue, agentId, Date.now(), timeoutMs);
  }

  /** Contracts waiting for a person, with why and until when. */
  async reviews(): Promise<ReviewItem[]> {
    // This deployment's task queue: another deployment's contracts are its reviewers' business,
    // and its workers may not be up to answer.
    const query = [
      equals(SA.route, 'HUMAN_REVIEW'),
      equals('ExecutionStatus', 'Running'),
      equals('TaskQueue', this.config.taskQueue),
    ].join(' AND ');
    const ids: string[] = [];
    for await (const wf of this.client.workflow.list({ query })) ids.push(wf.workflowId);
    const items: (ReviewItem | undefined)[] = [];
    // Each is asked a few at a time; one whose worker does not answer is read from its history
    // (liveState), so a single stuck contract never hides the others.
    for (let i = 0; i < ids.length; i += CHILD_QUERIES) {
      const batch = ids.slice(i, i + CHILD_QUERIES).map(async (workflowId) => {
        const handle = this.client.workflow.getHandle(workflowId);
        const state = (await this.liveState(handle, WORKFLOW_TYPES.contract, true).catch(() => undefined)) as
          ContractState | undefined;
        if (state?.status !== 'awaiting-review' || !state.review) return undefined;
        const { why, deadline, permitted, group, reviewers, subject } = state.review;
        return {
          workflowId,
          title: state.title,
          subject,
          why,
          deadline,
          permitted,
          ...(group ? { group } : {}),
          ...(reviewers ? { reviewers } : {}),
        };
      });
      items.push(...(await Promise.all(batch)));
    }
    return items.filter((x): x is ReviewItem => x !== undefined);
  }
}
