import { expect } from '@jest/globals';
import { InputError } from '../../src/action/errors.js';

/** Runs `fn`, expects it to throw an InputError, and returns it for the assertions on its message. */
export function catchInputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}
