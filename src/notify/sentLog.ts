// The durable record of announcements already made, in the data dir: one small file per channel and
// idempotency key. `sent/<hash>.json` is written atomically (temp file, fsync, rename, fsync of the
// folder) right after a receiver accepted the message and is checked before every send, so a retry
// after a crash finds it and sends nothing. `pending/<hash>` marks a send in flight: found by a later
// attempt, it means the earlier one was interrupted after it may have reached the receiver, and the
// repeat is marked as a possible duplicate.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface SentRecord {
  channel: string;
  idempotencyKey: string;
  kind: string;
  target: string;
  attempt: number;
  sentAt: string;
}

const fileKey = (channel: string, idempotencyKey: string): string =>
  createHash('sha256').update(`${channel}\n${idempotencyKey}`).digest('hex');

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeDurably(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncDir(dir);
}

export class SentLog {
  private readonly sentDir: string;
  private readonly pendingDir: string;

  constructor(dir: string) {
    this.sentDir = join(dir, 'sent');
    this.pendingDir = join(dir, 'pending');
    mkdirSync(this.sentDir, { recursive: true });
    mkdirSync(this.pendingDir, { recursive: true });
  }

  /** The record of an earlier delivery, if there was one. */
  sent(channel: string, idempotencyKey: string): SentRecord | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.sentDir, `${fileKey(channel, idempotencyKey)}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as SentRecord;
    } catch {
      // Written by rename, so never half a file; an edited one still means "sent".
      return { channel, idempotencyKey, kind: 'unknown', target: 'unknown', attempt: 0, sentAt: 'unknown' };
    }
  }

  /** True when an earlier attempt started sending and never learned how it ended. */
  wasInterrupted(channel: string, idempotencyKey: string): boolean {
    try {
      readFileSync(join(this.pendingDir, fileKey(channel, idempotencyKey)));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Marks a send as started; durable before the first byte leaves. */
  begin(channel: string, idempotencyKey: string, attempt: number): void {
    writeDurably(this.pendingDir, fileKey(channel, idempotencyKey), JSON.stringify({ attempt }));
  }

  /** The send surely did not reach the receiver: a later attempt is not a repeat. */
  abandon(channel: string, idempotencyKey: string): void {
    rmSync(join(this.pendingDir, fileKey(channel, idempotencyKey)), { force: true });
  }

  /** The receiver accepted it: from now on this key is never sent again on this channel. */
  record(rec: SentRecord): void {
    const key = fileKey(rec.channel, rec.idempotencyKey);
    writeDurably(this.sentDir, `${key}.json`, JSON.stringify(rec));
    rmSync(join(this.pendingDir, key), { force: true });
  }
}
