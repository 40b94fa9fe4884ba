// How to reach Temporal, shared by the client (Connection) and the worker (NativeConnection):
// the address, TLS (mTLS with a client certificate and key read from the files the environment
// names, or server TLS only) and an API key, as Temporal Cloud takes them.
import { readFileSync } from 'node:fs';
import { addressOf, type Config } from './settings.js';
import { ArbiterError, badInput } from '../shared/errors.js';

export interface ConnectionSettings {
  address: string;
  tls?: true | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

function pem(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw badInput(
      `${name}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

export function connectionSettings(config: Config): ConnectionSettings {
  const tls =
    config.tls === true
      ? (true as const)
      : config.tls
        ? {
            clientCertPair: {
              crt: pem(config.tls.cert ?? '', 'TEMPORAL_TLS_CERT'),
              key: pem(config.tls.key ?? '', 'TEMPORAL_TLS_KEY'),
            },
          }
        : undefined;
  return {
    address: addressOf(config),
    ...(tls ? { tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

export function howToStart(address: string): string {
  return (
    `cannot reach Temporal at ${address}. Start the embedded stack with \`npx arbiter dev\` ` +
    '(or `npm run dev`), or set TEMPORAL_ADDRESS to a running server.'
  );
}

/** The error for a server that does not answer: exit 3, and how to start one. */
export function unreachable(address: string, err: unknown): ArbiterError {
  return new ArbiterError('TEMPORAL_UNREACHABLE', howToStart(address), [
    (err as Error).message.split('\n')[0] ?? '',
  ]);
}
