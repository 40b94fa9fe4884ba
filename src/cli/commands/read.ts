// `arbiter status`, `arbiter audit` and `arbiter cancel`: one run, read or cancelled by id.
import { userInfo } from 'node:os';
import { isPlanState } from '../../client.js';
import { withClient } from '../context.js';
import { printJson, stateLines, timelineLines, uiBaseFromEnv, webUiLink } from '../output.js';

/** `arbiter status ID [--json]`. */
export async function status(id: string, opts: { json?: boolean }): Promise<void> {
  await withClient(async (arbiter) => {
    const state = await arbiter.status(id);
    if (opts.json) return printJson(state);
    const lines = stateLines(state);
    lines.push(
      `  Web UI      ${webUiLink(uiBaseFromEnv(arbiter.config), arbiter.config.namespace, state.workflowId)}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** `arbiter audit ID [--json]`. */
export async function audit(id: string, opts: { json?: boolean }): Promise<void> {
  await withClient(async (arbiter) => {
    const state = await arbiter.audit(id);
    if (isPlanState(state)) {
      // A plan's trail is its contracts' trails: list them, each readable with `audit <id>`.
      if (opts.json) return printJson(state);
      const lines = stateLines(state);
      lines.push(
        '  (each contract: arbiter audit <workflow id>, e.g. arbiter audit ' +
          (state.nodes[0]?.workflowId ?? '') +
          ')',
      );
      return void process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (opts.json) {
      // The trail and the decisions behind it, without the agent's output.
      const { output: _output, ...trail } = state;
      return printJson(trail);
    }
    process.stdout.write(`${timelineLines(state).join('\n')}\n`);
  });
}

/** `arbiter cancel ID [--reason T] [--as WHO]`. */
export async function cancel(id: string, opts: { reason: string; as?: string }): Promise<void> {
  await withClient(async (arbiter) => {
    await arbiter.cancel(id, opts.reason, opts.as ?? process.env.ARBITER_REVIEWER ?? userInfo().username);
    process.stdout.write(`cancellation requested for ${id}\n`);
  });
}
