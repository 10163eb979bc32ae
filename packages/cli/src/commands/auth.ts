/** `login`, `logout`, `whoami`, `register`. */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import { MessengerError } from '@msgr/sdk';
import { openSession, type RunState, type Session } from '../client.js';
import { stableClientId, updateConfig } from '@msgr/session';
import { usageError } from '../errors.js';
import { userText } from '../format.js';
import { examples } from '../help.js';
import { ask } from '../prompt.js';

/** `--password`, else $MSGR_PASSWORD, else a hidden prompt (TTY only). */
async function password(s: Session, given: string | undefined, question: string): Promise<string> {
  if (given !== undefined) return given;
  if (s.io.env.MSGR_PASSWORD) return s.io.env.MSGR_PASSWORD;
  return ask(s.io, question, { isHidden: true, instead: 'pass --password or set MSGR_PASSWORD' });
}

export function registerAuthCommands(program: Command, state: RunState): void {
  program
    .command('login')
    .description('log in and save the session (hosts, email, tokens) in the config file')
    .argument('<email>', 'your account')
    .option('--password <password>', 'the password (else $MSGR_PASSWORD, else a prompt)')
    .option('--client-id <id>', "this device's id (default: a stable id kept in the config)")
    .addHelpText(
      'after',
      examples(
        ['msgr login test1@test.com', 'asks for the password without echo'],
        ['MSGR_PASSWORD=test msgr --host http://10.0.0.5:8000 login test1@test.com --json'],
      ),
    )
    .action(async (email: string, opts: { password?: string; clientId?: string }, cmd: Command) => {
      const s = await openSession(state, cmd, { isLoginOnly: true });
      const secret = await password(s, opts.password, `Password for ${email}: `);
      const clientId = opts.clientId ?? (await stableClientId(s.configFile));
      // The token store writes the tokens into the config file as the SDK receives them.
      await s.client.login({ email, password: secret, clientId, signal: s.signal });
      await updateConfig(s.configFile, { hosts: s.hosts, email });
      if (s.out.isJson) s.out.json({ email, hosts: s.hosts });
      else s.out.note(`Logged in as ${email} on ${s.hosts.join(', ')}.`);
    });

  program
    .command('logout')
    .description("end this device's session on the server and forget the tokens")
    .addHelpText('after', examples(['msgr logout']))
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd, { isLoginOnly: true });
      const email = s.config.email ?? null;
      const wasLoggedIn = s.config.tokens !== undefined;
      if (wasLoggedIn) {
        try {
          await s.client.logout(); // forgets the tokens even when the server cannot be told
        } catch (err) {
          // A dead session is already logged out; anything else is worth reporting.
          if (!(err instanceof MessengerError && err.status === 401)) {
            s.out.warn('the tokens on this machine are forgotten, but the server was not told:');
            throw err;
          }
        }
        await updateConfig(s.configFile, { email: undefined });
      }
      if (s.out.isJson) s.out.json({ logged_out: wasLoggedIn, email });
      else s.out.note(wasLoggedIn ? `Logged out${email ? ` (${email})` : ''}.` : 'Not logged in.');
    });

  program
    .command('whoami')
    .description('the logged-in user (with an API token: the user it belongs to, maybe a bot)')
    .addHelpText(
      'after',
      examples(
        ['msgr whoami'],
        ['msgr whoami --json'],
        ['MSGR_TOKEN=msgr_pat_… msgr whoami', "whose the API token is (a bot's: `Name [bot]`)"],
      ),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const me = await s.client.me({ signal: s.signal });
      if (s.out.isJson) s.out.json(me);
      else {
        const how = s.tokenSource ? ` with the API token from ${s.tokenSource}` : '';
        s.out.line(`${userText(me)} on ${safeLine(s.hosts.join(', '))}${how}`);
      }
    });

  program
    .command('register')
    .description('create an account (then log in with `msgr login`)')
    .option('--email <email>', 'the account email (else a prompt)')
    .option('--name <name>', 'the name others see (else a prompt)')
    .option('--password <password>', '8..72 bytes (else $MSGR_PASSWORD, else a prompt)')
    .addHelpText(
      'after',
      examples(
        ['msgr register', 'asks for email, name and password'],
        ['msgr register --email ann@example.com --name Ann --password "correct horse"'],
      ),
    )
    .action(async (opts: { email?: string; name?: string; password?: string }, cmd: Command) => {
      const s = await openSession(state, cmd, { isLoginOnly: true });
      const email = opts.email ?? (await ask(s.io, 'Email: ', { instead: 'pass --email' }));
      const name = opts.name ?? (await ask(s.io, 'Name: ', { instead: 'pass --name' }));
      let secret = opts.password ?? s.io.env.MSGR_PASSWORD;
      if (!secret) {
        secret = await password(s, undefined, 'Password (8 characters or more): ');
        const again = await password(s, undefined, 'The same password again: ');
        if (again !== secret) throw usageError('password_mismatch', 'the passwords differ');
      }
      const user = await s.client.register({ email, name, password: secret, signal: s.signal });
      if (s.out.isJson) s.out.json(user);
      else {
        s.out.line(`Registered ${userText(user)}.`);
        s.out.note(`Log in with: msgr login ${user.email ?? email}`);
      }
    });
}
