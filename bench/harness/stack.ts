// A Temporal server and what the bench runs on it: one NativeConnection for in-process workers,
// the workers, and Arbiter clients. close() stops everything started through the stack: workers
// first (all at once), then clients, the connection and the server.
import { NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import type { Deps } from '../../src/activities/deps.js';
import { Arbiter } from '../../src/client.js';
import { freePort } from '../../src/config/freePort.js';
import type { Config } from '../../src/config/settings.js';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { createWorker } from '../../src/worker.js';

/** What an in-process Arbiter worker needs: settings, dependencies and the prebuilt workflow bundle. */
export interface ArbiterSetup {
  config: Config;
  deps: Deps;
  codePath: string;
}

export interface StackOptions {
  /** An existing server (TEMPORAL_ADDRESS); otherwise a dev server of the stack's own. */
  address?: string;
  /** The dev server's SQLite history file (as `arbiter dev` keeps it); in memory without one. */
  dbFile?: string;
  sqlitePragmas?: string[];
}

export class Stack {
  private readonly workers: { worker: Worker; running: Promise<void> }[] = [];
  private readonly clients: Arbiter[] = [];

  private constructor(
    readonly address: string,
    readonly connection: NativeConnection,
    private readonly server: DevServer | undefined,
  ) {}

  static async open(options: StackOptions = {}): Promise<Stack> {
    const server = options.address
      ? undefined
      : await startDevServer({
          port: await freePort(),
          ...(options.dbFile ? { dbFile: options.dbFile } : {}),
          ...(options.sqlitePragmas ? { sqlitePragmas: options.sqlitePragmas } : {}),
        });
    const address = options.address ?? server!.address;
    try {
      return new Stack(address, await NativeConnection.connect({ address }), server);
    } catch (err) {
      await server?.stop();
      throw err;
    }
  }

  /** The dev server's process id (for its CPU); undefined with an external server. */
  get serverPid(): number | undefined {
    return this.server?.process.pid;
  }

  /** Runs `worker` until close(). */
  run(worker: Worker): Worker {
    this.workers.push({ worker, running: worker.run() });
    return worker;
  }

  /** An Arbiter worker (the product's `createWorker`) on `setup.config.taskQueue`, until close(). */
  async startArbiterWorker(setup: ArbiterSetup, options?: Partial<WorkerOptions>): Promise<Worker> {
    const { config, deps, codePath } = setup;
    return this.run(
      await createWorker(
        { config, deps, workflowBundle: { codePath }, ...(options ? { options } : {}) },
        this.connection,
      ),
    );
  }

  /** An Arbiter client for `config` on this stack's server, closed by close(). */
  async connectArbiter(config: Config): Promise<Arbiter> {
    const arbiter = await Arbiter.connect({ ...config, address: this.address });
    this.clients.push(arbiter);
    return arbiter;
  }

  /** Runs `fn` with an Arbiter client for `config` on this stack's server, closed after it. */
  async withArbiter<T>(config: Config, fn: (arbiter: Arbiter) => Promise<T>): Promise<T> {
    const arbiter = await Arbiter.connect({ ...config, address: this.address });
    try {
      return await fn(arbiter);
    } finally {
      await arbiter.close();
    }
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.worker.shutdown();
    await Promise.allSettled(this.workers.map((w) => w.running));
    for (const client of this.clients) await client.close();
    await this.connection.close();
    await this.server?.stop();
  }
}
