/** Failures in words for the status bar and the login screen, and which sends are worth a retry. */
import { MessengerError } from '@msgr/sdk';
import { expect } from 'chai';
import { describe as words, retryOperationIdOf, sendFailure } from '../src/failures.js';

const limited = (retryAfterSeconds?: number) =>
  new MessengerError(429, 'rate_limited', 'over the budget', { retryAfterSeconds });

describe('tui failures', () => {
  it('when a send is rate limited then "Sending too fast: try again in N s"', () => {
    expect(sendFailure(limited(42))).to.equal('Sending too fast: try again in 42 s');
    expect(sendFailure(limited())).to.equal('Sending too fast: try again in a moment');
    expect(sendFailure(new MessengerError(403, 'chat_forbidden', 'not a member'))).to.equal(
      'not sent: not a member',
    );
  });

  it('when a login or another call is rate limited or the server busy then it says when to try again', () => {
    expect(words(limited(600))).to.equal('too many tries: try again in 600 s');
    const busy = new MessengerError(503, 'busy', 'queue full', { retryAfterSeconds: 2 });
    expect(words(busy)).to.equal('the server is busy: try again in 2 s');
    expect(words(new MessengerError(401, 'invalid_credentials', 'x'))).to.equal(
      'wrong email or password',
    );
  });

  it('when a send failed without an answer, on 429 or 5xx then it is retried with its own id; a 4xx is not', () => {
    const withId = (err: MessengerError) => Object.assign(err, { operationId: 5 });
    expect(retryOperationIdOf(withId(limited(1)))).to.equal(5);
    expect(retryOperationIdOf(withId(new MessengerError(0, 'network_error', 'x')))).to.equal(5);
    expect(retryOperationIdOf(withId(new MessengerError(503, 'x', 'y')))).to.equal(5);
    expect(retryOperationIdOf(withId(new MessengerError(422, 'validation_failed', 'y')))).to.equal(
      undefined,
    );
    expect(retryOperationIdOf(withId(new MessengerError(0, 'aborted', 'y')))).to.equal(undefined);
    expect(retryOperationIdOf(new Error('boom'))).to.equal(undefined);
  });
});
