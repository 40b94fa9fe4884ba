// `arbiter codec-server`: lets the Temporal Web UI (and `temporal --codec-endpoint`) show payloads
// encrypted with ARBITER_CODEC_KEYS. A bearer token (ARBITER_CODEC_TOKEN) is required by default.
import { badInput } from '../../shared/errors.js';
import { CODEC_KEYS_ENV, codecFromEnv } from '../../security/codec.js';
import { CODEC_TOKEN_ENV, createCodecServer, listen } from '../../security/codecServer.js';
import { loadConfig } from '../../config/settings.js';
import { uiBaseFromEnv } from '../output.js';

const log = (line: string) => process.stderr.write(`arbiter: ${line}\n`);

export interface CodecServerOptions {
  port: string;
  host: string;
  origin?: string[];
  insecureNoAuth?: boolean;
}

/** `arbiter codec-server`: serves until SIGINT or SIGTERM. */
export async function codecServer(opts: CodecServerOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw badInput(`--port: "${opts.port}" is not a port number (0-65535)`);
  }
  const codec = codecFromEnv();
  if (!codec) {
    throw badInput(`${CODEC_KEYS_ENV} is not set: there is nothing to encode or decode`, [
      `set it to keyId:base64key[,…] (the same value as the workers'), e.g. k1:$(openssl rand -base64 32)`,
    ]);
  }
  const token = process.env[CODEC_TOKEN_ENV]?.trim() || undefined;
  // By default the Web UI every link of this CLI points at (so ARBITER_DEV_PORT moves it too).
  const origins = opts.origin ?? [new URL(uiBaseFromEnv(loadConfig())).origin];
  const server = createCodecServer({
    codec,
    origins,
    ...(token ? { token } : {}),
    ...(opts.insecureNoAuth ? { insecureNoAuth: true } : {}),
  });
  const bound = await listen(server, port, opts.host);
  log(
    `codec server on http://${opts.host}:${bound} for ${origins.join(', ')}` +
      (token ? ' (bearer token required)' : ' (NO authentication: --insecure-no-auth)'),
  );
  // The Web UI cannot send the bearer token; a browser signs in once at this page instead. The
  // session cookie only reaches the codec server when it has the UI's host name (same site).
  const uiHost = URL.canParse(origins[0] ?? '') ? new URL(origins[0]!).hostname : '';
  const loopback = (h: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(h);
  const address = `http://${loopback(opts.host) && loopback(uiHost) ? uiHost : opts.host}:${bound}`;
  log(
    `Web UI: sign in at ${address}/ in the browser, then in the UI's Codec Server settings use ` +
      `${address} as the browser endpoint with "Include cross-origin credentials"`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('stopped');
}
