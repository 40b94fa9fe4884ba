// What a call threw, for tests that assert on typed errors (code, exit code, message).
import { expect } from 'vitest';
import { ArbiterError } from '../../src/shared/errors.js';

/** The ArbiterError `fn` throws; the test fails if it throws anything else, or nothing. */
export function arbiterFailure(fn: () => unknown): ArbiterError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArbiterError);
    return err as ArbiterError;
  }
  throw new Error('expected an ArbiterError');
}
