// One contract's run as the workflow steps see it: the state (the trail folded by applyEvent), the
// search attributes waiting to be published, the review in progress and how the run ends. Every
// step module takes the run instead of sharing closures, so each reads on its own.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { condition, proxySinks, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES as SA } from '../../shared/constants.js';
import type { Contract } from '../../shared/contract.js';
import type { ContractState, Outcome, PolicyResult, TrailData, TrailKind } from '../../shared/decision.js';
import type { CancelRequest, ReviewAnswer } from '../../shared/messages.js';
import { applyEvent, emptyState, trailEvent, type TrailSinks } from '../../shared/trail.js';
import { NOTIFY_GRACE_MS } from './notify.js';
import { recordAudit } from './steps.js';

const { trail } = proxySinks<TrailSinks>();

/** The review being waited for: what answers are checked against, and the answer once given. */
export interface OpenReview {
  permitted: string[];
  reviewers: string[];
  answer?: ReviewAnswer & { via: 'update' | 'signal' };
}

export class ContractRun {
  readonly state: ContractState = emptyState(workflowInfo().workflowId);
  /** Who cancelled and why, when they said so before cancelling. */
  cancelRequest?: CancelRequest;
  review?: OpenReview;
  /** Who is asked when a person must decide mid-work (an agent's question): the contract's decision. */
  reviewPolicy: Pick<PolicyResult, 'reviewWithinMs' | 'reviewChain'> = {};
  /**
   * Each agent's measured standing in the policy decision it was last selected under: what a tool
   * loop's decisions judge it by (never anything the agent or a tool said).
   */
  readonly standings = new Map<string, { trust: number; probation: boolean }>();
  /** How many reviews this run has opened (numbers each review's notifications). */
  reviews = 0;
  /** Notifications under way, and what each is about. */
  readonly notifications = new Map<Promise<void>, { channel: string; event: string }>();
  /** Set once the run records its end: later notification outcomes are not recorded. */
  closing = false;
  private readonly tags = new Map<string, SearchAttributeUpdatePair>();

  constructor(
    readonly contract: Contract,
    /** Prerequisite outputs (plans), passed to the agent as its input. */
    readonly input: unknown,
  ) {}

  /** Records one trail event: the state follows from it, and replayed readers see it too. */
  record<K extends TrailKind>(kind: K, data: TrailData<K>): void {
    const event = trailEvent(kind, data, new Date().toISOString());
    applyEvent(this.state, event);
    trail.record(event);
  }

  /** Search attributes to publish with the next flush. */
  tag(...pairs: SearchAttributeUpdatePair[]): void {
    for (const pair of pairs) this.tags.set(pair.key.name, pair);
  }

  /**
   * Publishes the gathered search attributes in one upsert (one history event per phase, not one
   * per attribute): before a wait for a person, before agents run, and at the end.
   */
  publish(): void {
    if (this.tags.size === 0) return;
    upsertSearchAttributes([...this.tags.values()]);
    this.tags.clear();
  }

  /**
   * Ends the run: notifications still under way get a short grace (then the trail says they were
   * not through), the outcome goes into the trail and the search attributes, the audit is written.
   */
  async finish(outcome: Outcome, reason?: string, agentId?: string | null): Promise<ContractState> {
    if (this.notifications.size > 0) await condition(() => this.notifications.size === 0, NOTIFY_GRACE_MS);
    for (const { channel, event } of this.notifications.values()) {
      this.record('notify-failed', { channel, event, error: 'still being retried', pending: true });
    }
    this.closing = true;
    this.record('finished', {
      outcome,
      ...(reason ? { reason } : {}),
      ...(agentId !== undefined ? { agentId } : {}),
    });
    this.tag({ key: SA.outcome, value: outcome }, { key: SA.costUsd, value: this.state.usage.costUsd });
    this.publish();
    await recordAudit(this.state);
    return this.state;
  }

  /** The attempt id of the next agent call: stable across replays and retries of this run. */
  nextAttemptId(): string {
    const { workflowId, runId } = workflowInfo();
    return `${workflowId}/${runId}/${this.state.attempts.length}`;
  }
}
