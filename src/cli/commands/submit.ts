// `arbiter submit`: a contract, plan, areas file or request in words becomes a run; --wait follows it.
import { withClient, exitCodeOf } from '../context.js';
import { printJson, stateLines, uiBaseFromEnv, webUiLink } from '../output.js';
import { waitForEnd } from '../progress.js';
import { loadSubmission } from '../../config/files.js';
import { badInput } from '../../shared/errors.js';
import { parseDuration } from '../../shared/duration.js';
import { Slug } from '../../shared/contract.js';

export interface SubmitOptions {
  file?: string;
  prompt?: string;
  id?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

/** Returns the exit code: 0 started (or succeeded with --wait), 1 failed, 4 not finished. */
export async function submit(opts: SubmitOptions): Promise<number> {
  if (opts.prompt !== undefined && opts.file)
    throw badInput('submit takes --prompt TEXT or --file FILE, not both');
  if (opts.prompt !== undefined && !opts.prompt.trim()) {
    throw badInput('--prompt: the request is empty; describe the work to do');
  }
  if (opts.prompt === undefined && !opts.file) {
    throw badInput('submit needs --file FILE (a contract, plan or areas file) or --prompt TEXT');
  }
  const timeoutMs = opts.timeout ? parseDuration(opts.timeout) : undefined;
  if (opts.timeout && timeoutMs === undefined)
    throw badInput(`--timeout "${opts.timeout}" is not a duration (e.g. 30s, 5m, PT1H)`);
  const id = opts.id === undefined ? undefined : Slug.safeParse(opts.id);
  if (id && !id.success) throw badInput(`--id "${opts.id}": ${id.error.issues[0]?.message ?? 'not a slug'}`);
  const submission = opts.file ? loadSubmission(opts.file) : undefined;
  if (submission && id?.data) {
    if (submission.kind === 'plan') submission.plan.id = id.data;
    else submission.contract.id = id.data;
  }
  return withClient(async (arbiter) => {
    const submitted = !submission
      ? await arbiter.submitRequest(opts.prompt ?? '', id?.data ? { id: id.data } : {})
      : submission.kind === 'plan'
        ? await arbiter.submitPlan(submission.plan)
        : await arbiter.submitContract(submission.contract);
    const link = webUiLink(uiBaseFromEnv(arbiter.config), arbiter.config.namespace, submitted.workflowId);
    if (!opts.json) {
      process.stderr.write(
        submitted.started
          ? `started ${submitted.workflowId}\n`
          : `${submitted.workflowId} already exists: showing that run (an id runs once)\n`,
      );
      process.stderr.write(`Web UI: ${link}\n`);
    }
    if (!opts.wait) {
      if (opts.json) printJson({ ...submitted, webUi: link });
      return 0;
    }
    const state = await waitForEnd(arbiter, submitted.workflowId, {
      print: !opts.json,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    if (opts.json) printJson({ ...state, started: submitted.started, webUi: link });
    else process.stdout.write(`${stateLines(state).join('\n')}\n`);
    return exitCodeOf(state);
  });
}
