// Payload encryption (AES-256-GCM) for everything Arbiter stores in Temporal: workflow and activity
// arguments, results, signals, queries, and (with the failure converter) error messages and stacks.
// Keys come from ARBITER_CODEC_KEYS="keyId:base64key,…": the first encrypts, all decrypt, so a key is
// rotated by putting a new one first and keeping the old one until its histories are gone.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  METADATA_ENCODING_KEY,
  type DataConverter,
  type Payload,
  type PayloadCodec,
} from '@temporalio/common';
import proto from '@temporalio/proto';
import { badInput } from '../shared/errors.js';

export const CODEC_KEYS_ENV = 'ARBITER_CODEC_KEYS';
export const ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The failure converter module: messages and stack traces become payloads, hence encrypted. */
export const failureConverterPath = fileURLToPath(new URL('./failureConverter.js', import.meta.url));

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined): string | undefined =>
  b ? Buffer.from(b).toString('utf8') : undefined;

/**
 * Parses ARBITER_CODEC_KEYS. The message names the variable and the entry (by position and key id),
 * never the key material itself.
 */
export function parseCodecKeys(value: string): { keys: Map<string, Buffer>; defaultKeyId: string } {
  const keys = new Map<string, Buffer>();
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const where = `${CODEC_KEYS_ENV}[${i}]`;
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    const material = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!id || !material) {
      problems.push(`${where}: expected keyId:base64key (a key id, a colon, then 32 bytes in base64)`);
      return;
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      problems.push(`${where}: key id "${id}" may use letters, digits, ".", "_" and "-" only`);
      return;
    }
    if (keys.has(id)) {
      problems.push(`${where}: duplicate key id "${id}"`);
      return;
    }
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material) ? Buffer.from(material, 'base64') : undefined;
    if (!key || key.length !== KEY_BYTES) {
      problems.push(
        `${where}: key "${id}" must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)` +
          (key ? `, got ${key.length} bytes` : ', got text that is not base64'),
      );
      return;
    }
    keys.set(id, key);
  });
  const first = [...keys.keys()][0];
  if (problems.length === 0 && first === undefined) {
    problems.push(`${CODEC_KEYS_ENV}: no key; expected keyId:base64key[,keyId:base64key…]`);
  }
  if (problems.length > 0 || first === undefined) {
    throw badInput(`${CODEC_KEYS_ENV} is invalid; payloads cannot be encrypted`, problems);
  }
  return { keys, defaultKeyId: first };
}

/** AES-256-GCM over the whole serialized payload (metadata included); iv ‖ ciphertext ‖ tag. */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    readonly keys: ReadonlyMap<string, Buffer>,
    readonly defaultKeyId: string,
  ) {
    if (!keys.has(defaultKeyId)) {
      throw badInput(`${CODEC_KEYS_ENV}: the encryption key "${defaultKeyId}" is not among the keys`);
    }
  }

  static fromKeys(value: string): EncryptionCodec {
    const { keys, defaultKeyId } = parseCodecKeys(value);
    return new EncryptionCodec(keys, defaultKeyId);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.defaultKeyId)!;
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv(ALGORITHM, key, iv);
        const plain = ProtoPayload.encode(payload).finish();
        const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
        return {
          metadata: {
            [METADATA_ENCODING_KEY]: utf8(ENCODING),
            [METADATA_ENCRYPTION_KEY_ID]: utf8(this.defaultKeyId),
          },
          data,
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((p) => this.decodeOne(p)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private decodeOne(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCODING) return payload;
    const keyId = text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    if (!keyId) throw badInput('an encrypted payload has no encryption-key-id; it cannot be decrypted');
    const key = this.keys.get(keyId);
    if (!key) {
      throw badInput(
        `a payload is encrypted with key "${keyId}", which is not in ${CODEC_KEYS_ENV} ` +
          `(known: ${[...this.keys.keys()].join(', ')}); add that key to decrypt it`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw badInput(`a payload encrypted with key "${keyId}" is truncated; it cannot be decrypted`);
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return ProtoPayload.decode(plain);
    } catch {
      throw badInput(
        `a payload encrypted with key "${keyId}" does not decrypt with the key of that id in ` +
          `${CODEC_KEYS_ENV}: the key is wrong or the data was altered`,
      );
    }
  }
}

/** The codec from ARBITER_CODEC_KEYS, or undefined when it is not set. Bad keys: BAD_INPUT (exit 2). */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | undefined {
  const value = env[CODEC_KEYS_ENV];
  if (value === undefined || value.trim() === '') return undefined;
  return EncryptionCodec.fromKeys(value);
}

/**
 * The data converter for clients and workers: encrypted payloads and encrypted failure messages.
 * Undefined when ARBITER_CODEC_KEYS is not set (payloads are then stored as plain JSON).
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec], failureConverterPath } : undefined;
}
