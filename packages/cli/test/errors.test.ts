/** The one mapping from failures to exit codes and lines. */
import { expect } from 'chai';
import { CommanderError } from 'commander';
import { MessengerError } from '@msgr/sdk';
import { CliError, ExitCode, toCliError } from '../src/errors.js';

const mapped = (err: unknown) => toCliError(err, { hosts: ['http://a:1', 'http://b:2'] });

describe('toCliError', () => {
  it('when a CliError then it is kept as is', () => {
    const err = new CliError(ExitCode.Usage, 'x', 'y');
    expect(mapped(err)).to.equal(err);
  });

  it('when authentication fails then exit 3 with what to do', () => {
    for (const code of [
      'not_logged_in',
      'session_expired',
      'invalid_credentials',
      'token_expired',
    ]) {
      const error = mapped(new MessengerError(401, code, 'detail'));
      expect(error.exitCode, code).to.equal(ExitCode.Auth);
    }
    expect(mapped(new MessengerError(401, 'not_logged_in', 'x')).message).to.include('msgr login');
    expect(mapped(new MessengerError(401, 'session_expired', 'x')).message).to.equal(
      'your session has expired: run `msgr login <email>` again',
    );
    expect(mapped(new MessengerError(401, 'invalid_credentials', 'x')).message).to.equal(
      'wrong email or password (new here? `msgr register`)',
    );
  });

  it('when an API token is refused (401) then exit 3 naming where it came from, not the login', () => {
    const withToken = (err: MessengerError) =>
      toCliError(err, { hosts: ['http://a:1'], tokenSource: 'MSGR_TOKEN' });
    const revoked = withToken(
      new MessengerError(401, 'invalid_token', 'the API token is not valid'),
    );
    expect(revoked.exitCode).to.equal(ExitCode.Auth);
    expect(revoked.message).to.match(
      /^the API token from MSGR_TOKEN was refused: the API token is not valid \(invalid_token\); it was revoked/,
    );
    expect(revoked.message).to.not.include('msgr login');
    const expired = withToken(new MessengerError(401, 'token_expired', 'it has expired'));
    expect(expired.exitCode).to.equal(ExitCode.Auth);
    expect(expired.message).to.match(
      /^the API token from MSGR_TOKEN has expired \(token_expired\)/,
    );
    // Without a token the same answers still point at the login.
    expect(mapped(new MessengerError(401, 'invalid_token', 'x')).message).to.include('msgr login');
  });

  it('when a token lacks a scope, or a webhook URL is forbidden, then exit 4 saying what to do', () => {
    const scope = mapped(
      new MessengerError(403, 'insufficient_scope', 'this API token may not change anything'),
    );
    expect(scope.exitCode).to.equal(ExitCode.Refused);
    expect(scope.message).to.match(
      /^this API token may not change anything; .*msgr token create .*\(insufficient_scope\)$/,
    );
    const url = mapped(new MessengerError(422, 'webhook_url_forbidden', 'a loopback address'));
    expect(url.exitCode).to.equal(ExitCode.Refused);
    expect(url.message).to.equal(
      'the server will not deliver to that URL, a loopback address: give a public http(s) URL (webhook_url_forbidden)',
    );
    const conflict = mapped(new MessengerError(422, 'idempotency_key_conflict', 'pick another'));
    expect(conflict.message).to.equal('pick another (idempotency_key_conflict)');
  });

  it('when the server refuses (403, 404, 409, 422) then exit 4 with its detail and code', () => {
    for (const status of [400, 403, 404, 409, 413, 422]) {
      expect(mapped(new MessengerError(status, 'some_code', 'd')).exitCode).to.equal(
        ExitCode.Refused,
      );
    }
    expect(
      mapped(new MessengerError(404, 'chat_not_found', 'no chat has this id')).message,
    ).to.equal('no chat has this id (chat_not_found)');
  });

  it('when rate limited (429) then exit 4 and one line saying when to try again', () => {
    const limited = mapped(
      new MessengerError(429, 'rate_limited', 'more than 2 sends a minute', {
        retryAfterSeconds: 42,
      }),
    );
    expect(limited.exitCode).to.equal(ExitCode.Refused);
    expect(limited.message).to.equal(
      'rate limited: try again in 42 s (more than 2 sends a minute)',
    );
    const unsaid = mapped(new MessengerError(429, 'too_many_requests', 'slow down'));
    expect(unsaid.exitCode).to.equal(ExitCode.Refused);
    expect(unsaid.message).to.equal('rate limited: try again later (slow down)');
  });

  it('when a 503 says Retry-After then exit 5, naming the wait', () => {
    const busy = mapped(
      new MessengerError(503, 'busy', 'the password queue is full', { retryAfterSeconds: 3 }),
    );
    expect(busy.exitCode).to.equal(ExitCode.Unavailable);
    expect(busy.message).to.equal(
      'http://a:1, http://b:2 is busy (503 busy): the password queue is full; try again in 3 s',
    );
  });

  it('when nothing answers or 5xx then exit 5 naming the hosts', () => {
    const network = mapped(new MessengerError(0, 'network_error', 'cannot reach http://b:2'));
    expect(network.exitCode).to.equal(ExitCode.Unavailable);
    expect(network.message).to.include('http://a:1, http://b:2');
    for (const err of [
      new MessengerError(0, 'timeout', 'slow'),
      new MessengerError(503, 'http_503', 'down'),
      new MessengerError(500, 'internal', 'oops'),
    ]) {
      expect(mapped(err).exitCode, err.code).to.equal(ExitCode.Unavailable);
    }
  });

  it('when the SDK refuses an argument locally then exit 2; when aborted then 130', () => {
    expect(
      mapped(new MessengerError(0, 'invalid_options', 'not an http(s) URL: x')).exitCode,
    ).to.equal(ExitCode.Usage);
    expect(mapped(new MessengerError(0, 'aborted', 'aborted')).exitCode).to.equal(
      ExitCode.Interrupted,
    );
  });

  it('when commander fails then exit 2, but --help and --version are success', () => {
    expect(mapped(new CommanderError(1, 'commander.unknownOption', 'x')).exitCode).to.equal(2);
    expect(mapped(new CommanderError(1, 'commander.missingArgument', 'x')).exitCode).to.equal(2);
    expect(mapped(new CommanderError(1, 'commander.help', '(outputHelp)')).exitCode).to.equal(2);
    expect(mapped(new CommanderError(0, 'commander.helpDisplayed', 'x')).exitCode).to.equal(0);
    expect(mapped(new CommanderError(0, 'commander.version', 'x')).exitCode).to.equal(0);
  });

  it('when anything else then exit 1 with its message', () => {
    const error = mapped(new TypeError('boom'));
    expect(error.exitCode).to.equal(ExitCode.Unexpected);
    expect(error.message).to.equal('unexpected error: boom');
  });
});
