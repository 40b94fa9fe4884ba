// One plan's run as its steps see it: the state the `state` query answers, the nodes by id, the
// outputs dependents will read, who cancelled, and the progress memo `arbiter status` reads when
// the plan is too busy to answer.
import { sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { contractWorkflowId } from '../../shared/constants.js';
import type { CancelRequest } from '../../shared/messages.js';
import {
  isSettled,
  progressOf,
  PROGRESS_MEMO,
  type PlanInput,
  type PlanNode,
  type PlanState,
} from '../../shared/plan.js';
import { topologicalOrder } from '../../shared/graph.js';

/** The progress memo is upserted at most this often: `arbiter status` reads it without a worker. */
const PROGRESS_EVERY_MS = 2_000;

export class PlanRun {
  readonly state: PlanState;
  readonly plan: PlanInput['plan'];
  readonly contracts: Map<string, PlanInput['plan']['contracts'][number]>;
  readonly nodes: Map<string, PlanNode>;
  /** Outputs of finished contracts, read by their dependents as their input. */
  readonly outputs: Map<string, unknown>;
  /** Resolves once a launched child has started (true) or could not be started (false). */
  readonly started = new Map<string, Promise<boolean>>();
  cancelRequest?: CancelRequest;
  /** Bumped by every change the main loop must look at (a child ended, progress due). */
  changes = 0;
  private flushedKey = '';
  private lastFlush = -Infinity;
  private flushTimer = false;

  constructor({ plan, carried, generation }: PlanInput) {
    this.plan = plan;
    this.contracts = new Map(plan.contracts.map((c) => [c.id, c]));
    this.state = {
      kind: 'plan',
      workflowId: workflowInfo().workflowId,
      planId: plan.id,
      title: plan.title,
      strategy: plan.strategy,
      maxParallel: plan.strategy === 'sequential' ? 1 : plan.maxParallel,
      status: 'running',
      nodes:
        carried?.nodes ??
        topologicalOrder(plan.contracts).map((id) => ({
          id,
          workflowId: contractWorkflowId(id, plan.id),
          dependsOn: this.contracts.get(id)?.dependsOn ?? [],
          status: 'pending',
          costUsd: 0,
        })),
      // A generated plan starts with what writing it cost.
      costUsd: carried?.costUsd ?? generation?.costUsd ?? 0,
      runs: (carried?.runs ?? 0) + 1,
      ...(generation ? { generation } : {}),
    };
    this.nodes = new Map(this.state.nodes.map((n) => [n.id, n]));
    this.outputs = new Map(Object.entries(carried?.outputs ?? {}));
  }

  /** Who cancelled; when no one said, the children still learn that their plan stopped them. */
  get cancelledBy(): CancelRequest {
    return this.cancelRequest ?? { by: `plan ${this.plan.id}`, reason: 'the plan was cancelled' };
  }

  static isActive = (n: PlanNode): boolean => n.status === 'running' || n.status === 'awaiting-review';

  running(): number {
    return this.state.nodes.filter(PlanRun.isActive).length;
  }

  allSettled(): boolean {
    return this.state.nodes.every((n) => isSettled(n.status));
  }

  /** Pending nodes whose prerequisites all succeeded. */
  ready(): PlanNode[] {
    return this.state.nodes.filter(
      (n) => n.status === 'pending' && n.dependsOn.every((d) => this.nodes.get(d)?.status === 'succeeded'),
    );
  }

  /** Skips every pending node with a prerequisite that did not succeed, transitively. */
  skipDescendants(): void {
    for (const node of this.state.nodes) {
      if (node.status !== 'pending') continue;
      const broken = node.dependsOn
        .map((d) => this.nodes.get(d))
        .find((d) => d && isSettled(d.status) && d.status !== 'succeeded');
      if (broken) {
        node.status = 'skipped';
        node.reason = `DEPENDENCY_FAILED: ${broken.id} ${broken.status}`;
      }
    }
  }

  /**
   * Keeps the counts per status in the memo, so `arbiter status` can show progress with one
   * describe while the plan is too busy to answer a query. At most every PROGRESS_EVERY_MS: a
   * change inside that window is flushed by one timer, never by one timer per change.
   */
  flushProgress(): void {
    const progress = progressOf(this.state, new Date().toISOString());
    const key = JSON.stringify(progress.counts);
    if (key === this.flushedKey) return;
    const now = new Date().getTime();
    if (this.allSettled() || now - this.lastFlush >= PROGRESS_EVERY_MS) {
      upsertMemo({ [PROGRESS_MEMO]: progress });
      this.flushedKey = key;
      this.lastFlush = now;
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = true;
    sleep(PROGRESS_EVERY_MS - (now - this.lastFlush)).then(
      () => {
        this.flushTimer = false;
        this.changes += 1;
      },
      () => undefined, // the plan was cancelled: no more progress to report
    );
  }
}
