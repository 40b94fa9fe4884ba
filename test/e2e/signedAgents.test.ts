// Signed `http` agents and the host allowlist, end to end: an `arbiter worker` process with
// ARBITER_AGENT_SECRET_<ID> and ARBITER_AGENT_HOSTS calls a loopback agent that checks every
// request's HMAC signature as docs/security.md tells agent implementers to, and never calls an
// agent outside the allowlist, even one that is cheaper and would have answered.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  killAllStartedWorkers,
  startPollingWorker,
  tempDir,
  type ChaosEnv,
} from '../../chaos/cases/harness.js';
import { Arbiter } from '../../src/client.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/agents/http.js';
import { Contract } from '../../src/shared/contract.js';
import { agentsFile, clientFor, testConfig } from '../support/temporal.js';

interface Seen {
  contractId: string;
  validSignature: boolean;
}

/** A loopback agent that records what it received; `check` decides whether a request is served. */
async function startAgent(check: (req: IncomingMessage, body: string) => boolean) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const ok = check(req, body);
      const { contractId } = JSON.parse(body) as { contractId: string };
      seen.push({ contractId, validSignature: ok });
      if (!ok) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: { summary: `done: ${contractId}` }, usage: { costUsd: 0.001 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/agent`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const secret = randomBytes(24).toString('hex');
let signed: Awaited<ReturnType<typeof startAgent>>;
let outsider: Awaited<ReturnType<typeof startAgent>>;

beforeAll(async () => {
  // The agent implementer's side: recompute the signature over the raw body, refuse old timestamps.
  signed = await startAgent((req, body) =>
    verifySignature(
      secret,
      req.headers[TIMESTAMP_HEADER] as string | undefined,
      body,
      req.headers[SIGNATURE_HEADER] as string | undefined,
    ),
  );
  outsider = await startAgent(() => true);
});
afterEach(async () => {
  await killAllStartedWorkers();
});
afterAll(async () => {
  await signed?.close();
  await outsider?.close();
});

describe('http agents from a worker process', () => {
  it('signs every request with the agent secret, and never calls a host outside ARBITER_AGENT_HOSTS', async () => {
    const config = testConfig({
      agentsFile: agentsFile(`agents:
  - id: cheap-outsider
    description: cheaper, and would answer, but its host is not allowed
    capabilities: { domains: [data, general] }
    endpoint: { kind: http, url: '${outsider.url}' }
  - id: signed-agent
    description: checks the signature of every request
    capabilities: { domains: [data, general] }
    endpoint: { kind: http, url: '${signed.url}' }
    pricing: { perCallUsd: 0.01 }
`),
    });
    const env: ChaosEnv = { address: inject('temporalAddress'), log: () => undefined };
    const { client, connection } = await clientFor(config);
    const arbiter = await Arbiter.connect(config);
    try {
      await startPollingWorker(env, client, {
        taskQueue: config.taskQueue,
        agentsFile: config.agentsFile,
        dataDir: tempDir('signed'),
        env: {
          ARBITER_AGENT_SECRET_SIGNED_AGENT: secret,
          ARBITER_AGENT_HOSTS: `127.0.0.1:${signed.port}`,
        },
      });
      const ids = ['signed-1', 'signed-2'].map((id) => `${id}-${Date.now().toString(36)}`);
      const states = [];
      for (const id of ids) {
        await arbiter.submitContract(
          Contract.parse({
            id,
            title: 'Engagement metrics dashboard',
            objective: 'Design the analytics dashboard and its metrics for engagement data.',
          }),
        );
        states.push(await arbiter.contractResult(id));
      }
      for (const s of states) {
        expect(s.outcome).toBe('SUCCEEDED');
        expect(s.agentId).toBe('signed-agent');
      }
      // The cheaper agent was chosen first and refused before any request, saying how to allow it.
      expect(states[0]!.attempts[0]).toMatchObject({
        agentId: 'cheap-outsider',
        ok: false,
        errorCategory: 'refused',
      });
      expect(states[0]!.attempts[0]!.error).toContain(
        `127.0.0.1:${outsider.port} is not in ARBITER_AGENT_HOSTS; add it there to allow calls to it`,
      );
      expect(outsider.seen).toEqual([]);
      // Every request the allowed agent received carried a valid signature, one per contract.
      expect(signed.seen.map((r) => r.contractId)).toEqual(ids);
      expect(signed.seen.every((r) => r.validSignature)).toBe(true);
      // The secret stayed in the worker's environment.
      for (const id of ids) {
        const history = await client.workflow.getHandle(`contract/${id}`).fetchHistory();
        expect(JSON.stringify(history)).not.toContain(secret);
      }
    } finally {
      await arbiter.close();
      await connection.close();
    }
  }, 180_000);
});
