/**
 * `token create|list|revoke`: API tokens, for scripts and CI jobs that should not hold a
 * password. A token is made and revoked from a login session (the server refuses a token that
 * makes tokens); its text is shown once, when it is made.
 */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import type { ApiToken, Scope } from '@msgr/sdk';
import { openSession, requireLogin, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { formatTime } from '../format.js';
import { examples } from '../help.js';
import { collectScopes, parseExpiresIn, parseId } from '../parse.js';

/** `read, write`: a token's scopes in words. */
function scopesText(scopes: readonly Scope[]): string {
  return scopes.join(', ');
}

/** When a token stops working: its local time, or `never`. */
function expiresText(token: Pick<ApiToken, 'expires_at'>): string {
  return token.expires_at === null ? 'never' : formatTime(token.expires_at);
}

export function registerTokenCommands(program: Command, state: RunState): void {
  const token = program
    .command('token')
    .summary('API tokens for scripts and CI: create, list, revoke')
    .description(
      'API tokens (msgr_pat_…) for scripts and CI: a token stands for you without your ' +
        'password, within its scopes (read: reading; write: changing). Use it with ' +
        '`MSGR_TOKEN=… msgr …` (or --token). Managed from your login session only ' +
        '(see `msgr token <cmd> --help`).',
    );

  token
    .command('create')
    .description(
      'make an API token; it is printed once (on stdout, alone), never again: keep it now',
    )
    .argument('<name>', 'what it is for (shown in `msgr token list`)')
    .option(
      '--scope <scope>',
      'read or write, repeatable or comma-separated (default: both)',
      collectScopes,
    )
    .option(
      '--expires-in <time>',
      'stop working after this long: seconds, or 30d, 12h, 1w, 1d12h (default: never)',
      parseExpiresIn,
    )
    .addHelpText(
      'after',
      examples(
        ['msgr token create laptop-scripts', 'read and write, never expires'],
        [
          'msgr token create ci --scope write --expires-in 90d',
          'for a CI job that only sends (store it as the secret MSGR_TOKEN)',
        ],
        ['msgr token create dashboard --scope read --json', '{ id, name, scopes, …, token }'],
        ['MSGR_TOKEN=$(msgr token create once) msgr send --group 3 "hi"', 'stdout is the token'],
      ),
    )
    .action(async (name: string, opts: { scope?: Scope[]; expiresIn?: number }, cmd: Command) => {
      if (name.trim() === '') throw usageError('empty_name', 'the name is empty');
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr token create`');
      const scopes = opts.scope ?? ['read', 'write'];
      const made = await s.client.createToken({
        name,
        scopes,
        expiresIn: opts.expiresIn,
        signal: s.signal,
      });
      if (s.out.isJson) s.out.json(made);
      else s.out.line(safeLine(made.token));
      s.out.note(
        `API token ${made.id} "${made.name}" (${scopesText(made.scopes)}; expires ` +
          `${expiresText(made)}). Keep it now: it will not be shown again. Use it with ` +
          `MSGR_TOKEN=<token> msgr …; revoke it with: msgr token revoke ${made.id}`,
      );
    });

  token
    .command('list')
    .description(
      'your API tokens (never their text): id, name, scopes, created, expires, last used',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr token list'],
        ["msgr token list --json | jq '.[] | select(.last_used_at == null) | .id'", 'never used'],
      ),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr token list`');
      const tokens = await s.client.tokens({ signal: s.signal });
      if (s.out.isJson) return s.out.json(tokens);
      if (tokens.length === 0) {
        return s.out.note('No API tokens: make one with `msgr token create <name>`.');
      }
      s.out.table(
        ['ID', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'],
        tokens.map((t) => [
          String(t.id),
          t.name,
          scopesText(t.scopes),
          formatTime(t.created_at),
          expiresText(t),
          t.last_used_at === null ? 'never' : formatTime(t.last_used_at),
        ]),
      );
    });

  token
    .command('revoke')
    .description('revoke an API token: it stops working at once, on every server')
    .argument('<token id>', 'the token (see `msgr token list`)', parseId)
    .addHelpText('after', examples(['msgr token revoke 4'], ['msgr token revoke 4 --json']))
    .action(async (tokenId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr token revoke`');
      await s.client.revokeToken(tokenId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ token_id: tokenId, revoked: true });
      s.out.line(`Revoked API token ${tokenId}.`);
    });
}
