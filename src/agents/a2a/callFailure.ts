// How a call that went wrong is reported: as the agent failure of the category that decides what
// Arbiter does next (retry, fallback, circuit breaker, trust ledger). Failures the call already
// classified (a failed task, an unusable answer) keep their category.
import { ApplicationFailure } from '@temporalio/common';
import type { Task } from '@a2a-js/sdk';
import { agentFailure, type ErrorCategory } from '../../shared/failures.js';
import { AgentCardError } from './errors.js';
import { clip } from './parts.js';

export function callFailure(err: unknown, who: string, task: Task | undefined): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const at = task ? ` (A2A task ${task.id})` : '';
  return agentFailure(categoryOf(err), `${who}${at}: ${clip((err as Error).message ?? String(err))}`);
}

function categoryOf(err: unknown): ErrorCategory {
  const e = err as Error;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'timeout';
  if (err instanceof AgentCardError) return err.code === 'A2A_CARD_UNREACHABLE' ? 'server-error' : 'refused';
  const status = /Status: (\d{3})/.exec(e.message ?? '')?.[1];
  if (status === '429') return 'rate-limit';
  if (status?.startsWith('5')) return 'server-error';
  if (status) return 'refused';
  // Errors the agent answered with (JSON-RPC error objects) versus no answer at all.
  if (/Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError') return 'agent-error';
  return 'server-error';
}
