// HMAC-SHA256 request signing, shared by signed http agents and signed notification webhooks, so a
// receiver verifies both the same way: `x-arbiter-signature: sha256=<hex>` over `timestamp.body`,
// with `x-arbiter-timestamp` in epoch milliseconds to refuse replays of old requests.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-arbiter-timestamp';
export const SIGNATURE_HEADER = 'x-arbiter-signature';
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The two headers of a signed request sent now. */
export function signatureHeaders(
  secret: string,
  body: string,
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: sign(secret, timestamp, body) };
}

/**
 * For receivers: true when `header` (x-arbiter-signature) is the signature of `body` at `timestamp`
 * (x-arbiter-timestamp, epoch milliseconds) and the timestamp is within `toleranceMs` of `now`
 * (replays of old requests fail). Comparison is constant-time.
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  header: string | undefined,
  now: number = Date.now(),
  toleranceMs: number = DEFAULT_TOLERANCE_MS,
): boolean {
  if (!timestamp || !header || !/^\d{1,16}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > toleranceMs) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
