// Payload encryption: what is stored is unreadable, what is read back is the original, rotation
// keeps old payloads readable, and bad keys are a clear BAD_INPUT naming ARBITER_CODEC_KEYS.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  dataConverterFromEnv,
  EncryptionCodec,
  failureConverterPath,
  METADATA_ENCRYPTION_KEY_ID,
} from '../../src/security/codec.js';
import { ArbiterError } from '../../src/shared/errors.js';
import { arbiterFailure } from '../support/failure.js';

const key = () => randomBytes(32).toString('base64');
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('EncryptionCodec', () => {
  it('encrypts payloads (metadata included) and decrypts them back exactly', async () => {
    const codec = EncryptionCodec.fromKeys(`k1:${key()}`);
    const original = payloadOf({ title: 'Quarterly forecast for ACME', secret: 'sk-live-123' });
    const [encoded] = await codec.encode([original]);
    expect(text(encoded?.metadata?.[METADATA_ENCODING_KEY])).toBe('binary/encrypted');
    expect(text(encoded?.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
    expect(text(encoded?.data)).not.toContain('Quarterly');
    expect(text(encoded?.data)).not.toContain('json/plain');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({
      title: 'Quarterly forecast for ACME',
      secret: 'sk-live-123',
    });
    expect(text(decoded?.metadata?.[METADATA_ENCODING_KEY])).toBe('json/plain');
  });

  it('uses a fresh IV per payload: the same value encrypts differently each time', async () => {
    const codec = EncryptionCodec.fromKeys(`k1:${key()}`);
    const [a, b] = await codec.encode([payloadOf('same'), payloadOf('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('leaves unencrypted payloads alone when decoding (histories from before encryption)', async () => {
    const codec = EncryptionCodec.fromKeys(`k1:${key()}`);
    const plain = payloadOf({ a: 1 });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('rotates: the first key encrypts, older keys still decrypt', async () => {
    const oldKey = key();
    const before = EncryptionCodec.fromKeys(`old:${oldKey}`);
    const [stored] = await before.encode([payloadOf('written with the old key')]);
    const after = EncryptionCodec.fromKeys(`new:${key()},old:${oldKey}`);
    const [fresh] = await after.encode([payloadOf('x')]);
    expect(text(fresh?.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('new');
    const [decoded] = await after.decode([stored!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toBe('written with the old key');
  });

  it('refuses a payload under an unknown key id, or altered data, with a message naming the key id', async () => {
    const [stored] = await EncryptionCodec.fromKeys(`gone:${key()}`).encode([payloadOf('x')]);
    const other = EncryptionCodec.fromKeys(`k1:${key()}`);
    await expect(other.decode([stored!])).rejects.toThrow(/key "gone".*ARBITER_CODEC_KEYS/);
    const tampered = { ...stored!, data: Buffer.from(stored!.data!).fill(7, 20, 24) };
    const same = new EncryptionCodec(new Map([['gone', Buffer.alloc(32)]]), 'gone');
    await expect(same.decode([tampered])).rejects.toBeInstanceOf(ArbiterError);
  });

  it('rejects malformed ARBITER_CODEC_KEYS with BAD_INPUT (exit 2) that never echoes key material', () => {
    const short = Buffer.from('too-short-key-material').toString('base64');
    for (const bad of [
      'nokey',
      `k1:${short}`,
      'k1:%%%not-base64%%%',
      `k1:${key()},k1:${key()}`,
      ':abc',
      ',',
      `bad id:${key()}`,
    ]) {
      const err = arbiterFailure(() => dataConverterFromEnv({ ARBITER_CODEC_KEYS: bad }));
      expect(err.code).toBe('BAD_INPUT');
      expect(err.exitCode).toBe(2);
      expect(err.toUserText()).toContain('ARBITER_CODEC_KEYS');
      expect(err.toUserText()).not.toContain(short);
    }
  });

  it('dataConverterFromEnv: undefined without keys; with keys, the codec and an encoding failure converter', async () => {
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({ ARBITER_CODEC_KEYS: ' ' })).toBeUndefined();
    const dc = dataConverterFromEnv({ ARBITER_CODEC_KEYS: `k1:${key()}` });
    expect(dc?.payloadCodecs).toHaveLength(1);
    expect(dc?.failureConverterPath).toBe(failureConverterPath);
    const mod = (await import(failureConverterPath)) as {
      failureConverter: {
        errorToFailure: (e: Error, c: typeof defaultPayloadConverter) => { message?: string };
      };
    };
    const f = mod.failureConverter.errorToFailure(new Error('leaky detail'), defaultPayloadConverter);
    expect(f.message).toBe('Encoded failure');
  });
});
