// What went wrong talking to an MCP server, as an attempt's error category: the category decides
// whether Temporal retries the step (timeouts, dropped connections, 5xx) or not (refusals).
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCategory } from '../shared/failures.js';

export function describeFailure(err: unknown): { category: ErrorCategory; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ApplicationFailure) {
    return { category: (err.type as ErrorCategory | undefined) ?? 'unknown', message };
  }
  if (err instanceof McpError) {
    if (err.code === Number(ErrorCode.RequestTimeout)) return { category: 'timeout', message };
    if (err.code === Number(ErrorCode.ConnectionClosed)) return { category: 'server-error', message };
    if (err.code === Number(ErrorCode.InternalError)) return { category: 'server-error', message };
    return { category: 'refused', message };
  }
  if (err instanceof StreamableHTTPError) {
    const status = err.code ?? 0;
    if (status === 429) return { category: 'rate-limit', message };
    if (status >= 500) return { category: 'server-error', message };
    return { category: 'refused', message };
  }
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return { category: 'timeout', message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // A command that does not exist or may not run is a configuration mistake: retrying cannot help.
  if (code === 'ENOENT' || code === 'EACCES') return { category: 'refused', message };
  // Refused connections, resets, a server that exited: it may be back on the next attempt.
  return { category: 'server-error', message };
}
