// One HTTP POST for the webhook channels: bounded in time, never following redirects (a 3xx could
// lead anywhere; it is a refusal), and classified into retryable and permanent failures.
import { notifyFailure, httpFailure, type FailureWhere } from './failure.js';
import { NOTIFY_FAILURES } from './request.js';

/** Per request; below the activity's start-to-close timeout, so an attempt ends on its own. */
export const POST_TIMEOUT_MS = 10_000;
const MAX_DETAIL = 64;

export interface PostOutcome {
  /** Whether the request may have reached the receiver (false only when it surely did not). */
  delivered: 'yes' | 'no' | 'unknown';
  failure?: Error;
}

/** Codes that mean no connection was made: the receiver cannot have seen the request. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export async function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  where: FailureWhere,
  signal?: AbortSignal,
  /** Turns a short answer body into a detail worth showing (e.g. Slack's error code); undefined hides it. */
  detailOf: (text: string) => string | undefined = () => undefined,
): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(POST_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const code = cause?.code ?? (err as Error).name;
    const timedOut = timeout.aborted;
    return {
      delivered: code && NOT_CONNECTED.has(code) ? 'no' : 'unknown',
      failure: notifyFailure(
        NOTIFY_FAILURES.unavailable,
        timedOut
          ? `no answer within ${POST_TIMEOUT_MS / 1000} s; retried`
          : `cannot reach the receiver (${code}); retried`,
        where,
      ),
    };
  }
  const text = await res.text().catch(() => '');
  const detail = detailOf(text.slice(0, MAX_DETAIL * 4).trim());
  const failure = httpFailure(res.status, detail ? clipDetail(detail) : '', where);
  return failure ? { delivered: 'no', failure } : { delivered: 'yes' };
}

const clipDetail = (d: string): string => (d.length > MAX_DETAIL ? `${d.slice(0, MAX_DETAIL)}…` : d);
