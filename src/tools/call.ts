// One MCP tool call: bounded in time, cancellable, carrying its idempotency key, and with its
// result rendered as text for the model and cut at the agent's size cap.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '../shared/toolSteps.js';

/**
 * Where the idempotency key travels: the request's `_meta`, the MCP place for metadata about a
 * request. The same key on a retried call means the same work; a server that records keys can
 * answer a repeat with its first result instead of doing the work twice.
 */
export const IDEMPOTENCY_META_KEY = 'arbiter/idempotency-key';

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  idempotencyKey: string;
  maxBytes: number;
}

/** A call's result before the step adds its duration and cost. */
export type CallOutcome = Omit<CallToolResult, 'durationMs' | 'costUsd'>;

interface ContentItem {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  resource?: { uri: string; text?: string; blob?: string; mimeType?: string };
}

/** Text as the model reads it; binary content is named, never inlined. */
export function renderContent(content: ContentItem[]): string {
  return content
    .map((c) => {
      switch (c.type) {
        case 'text':
          return c.text ?? '';
        case 'image':
        case 'audio':
          return `[${c.type} ${c.mimeType ?? ''}, ${Math.floor(((c.data ?? '').length * 3) / 4)} bytes, not shown]`;
        case 'resource':
          return c.resource?.text !== undefined
            ? `[resource ${c.resource.uri}]\n${c.resource.text}`
            : `[resource ${c.resource?.uri ?? ''} ${c.resource?.mimeType ?? ''}, binary, not shown]`;
        case 'resource_link':
          return `[resource link ${c.uri ?? ''}${c.name ? ` (${c.name})` : ''}]`;
        default:
          return `[${c.type} content, not shown]`;
      }
    })
    .join('\n');
}

/** The first `maxBytes` bytes of `text` as UTF-8, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that would be split.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return buf.subarray(0, end).toString('utf8');
}

export async function callMcpTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  opts: CallOptions,
): Promise<CallOutcome> {
  let res: Awaited<ReturnType<Client['callTool']>>;
  try {
    res = await client.callTool(
      { name, arguments: args, _meta: { [IDEMPOTENCY_META_KEY]: opts.idempotencyKey } },
      undefined,
      {
        timeout: opts.timeoutMs,
        maxTotalTimeout: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
  } catch (err) {
    // The server refused the request itself (unknown tool, arguments it rejects): the model wrote
    // a call that cannot run, which it is told like any tool error, not a failed step.
    if (
      err instanceof McpError &&
      (err.code === Number(ErrorCode.InvalidParams) || err.code === Number(ErrorCode.MethodNotFound))
    ) {
      return capped(`The server refused the call: ${err.message}`, undefined, true, opts.maxBytes);
    }
    throw err;
  }
  if ('toolResult' in res) {
    return capped(JSON.stringify(res.toolResult ?? null), undefined, false, opts.maxBytes);
  }
  const content = (res.content ?? []) as ContentItem[];
  const structured = res.structuredContent;
  const text =
    content.length > 0 ? renderContent(content) : structured !== undefined ? JSON.stringify(structured) : '';
  return capped(text, structured, res.isError === true, opts.maxBytes);
}

function capped(
  text: string,
  structured: Record<string, unknown> | undefined,
  isError: boolean,
  maxBytes: number,
): CallOutcome {
  const bytes = Buffer.byteLength(text, 'utf8');
  const shown = bytes > maxBytes ? cutUtf8(text, maxBytes) : text;
  const dataFits =
    structured !== undefined && Buffer.byteLength(JSON.stringify(structured), 'utf8') <= maxBytes;
  return {
    text: shown,
    ...(dataFits ? { data: structured as CallOutcome['data'] } : {}),
    isError,
    bytes,
    // Structured data that does not fit is dropped, and that is a cut result too.
    truncated: shown.length !== text.length || (structured !== undefined && !dataFits),
  };
}
