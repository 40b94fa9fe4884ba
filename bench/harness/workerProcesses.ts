// Separate `arbiter worker` processes polling one task queue, as an operator adds capacity: started
// with the bench's settings, awaited until the server sees them poll, stopped gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { processCpuSeconds } from './resources.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));

export interface WorkerProcesses {
  /** CPU seconds the processes have used so far, together. */
  cpuSeconds(): number;
  /** SIGTERM (graceful: in-flight work finishes or is handed back), then wait for the exits. */
  stop(): Promise<void>;
}

/** Workflow pollers the server currently sees on `taskQueue` (one per worker process, sticky aside). */
async function pollerCount(client: Client, namespace: string, taskQueue: string): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return new Set((res.pollers ?? []).map((p) => p.identity)).size;
}

/**
 * Starts `n` `arbiter worker` processes on `taskQueue` with `env` (address, agents file, data dir)
 * and resolves once the server sees all of them polling.
 */
export async function spawnWorkers(
  n: number,
  env: Record<string, string>,
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<WorkerProcesses> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [bin, 'worker'], {
      env: {
        ...process.env,
        ARBITER_LOG_LEVEL: 'WARN',
        // Metrics endpoints are not measured here; two processes must not race for one port.
        ARBITER_METRICS_PORT: '0',
        ...env,
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code) process.stderr.write(`[bench] worker process ${child.pid} exited ${code}: ${errors}\n`);
    });
    children.push(child);
  }
  const stop = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  const deadline = Date.now() + 120_000;
  while ((await pollerCount(client, namespace, taskQueue)) < n) {
    if (children.some((c) => c.exitCode !== null)) {
      await stop();
      throw new Error('a bench worker process exited during start-up');
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${n} worker processes did not start polling ${taskQueue} within 120 s`);
    }
    await sleep(250);
  }
  const cpuSeconds = () => children.reduce((sum, c) => sum + processCpuSeconds(c.pid), 0);
  return { cpuSeconds, stop };
}
