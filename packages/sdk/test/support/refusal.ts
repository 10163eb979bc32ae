import { expect } from 'chai';
import { MessengerError } from '../../src/index.js';

/** The MessengerError `promise` rejects with (it must reject with one). */
export async function refusal(promise: Promise<unknown>): Promise<MessengerError> {
  const err = await promise.then(
    () => expect.fail('expected a MessengerError'),
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(MessengerError);
  return err as MessengerError;
}
