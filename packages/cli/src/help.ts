/** Help texts: examples under each command, and what `msgr --help` adds after the commands. */
import { EXIT_CODES_HELP } from './errors.js';

/** An "Examples:" block for `addHelpText('after', …)`: pairs of command and comment. */
export function examples(...items: [command: string, comment?: string][]): string {
  const lines = items.map(([command, comment]) =>
    comment ? `  # ${comment}\n  $ ${command}` : `  $ ${command}`,
  );
  return `\nExamples:\n${lines.join('\n')}\n`;
}

export const PROGRAM_HELP = `${examples(
  ['msgr login test1@test.com', 'log in (asks for the password); the session is saved'],
  ['msgr chats', 'your chats, with unread counts'],
  ['msgr send --to test2@test.com "hello"', 'write to someone (by email or user id)'],
  ['echo "from a script" | msgr send --group 3 -', 'the text from stdin'],
  ["msgr history 12 --json | jq '.[].text'", 'JSON for scripts'],
  ['msgr send --group 3 --reply-to 120 "yes"', 'answer message 120'],
  [
    'msgr send --group 3 --thread 120 --mention 7 "@Carol see this"',
    'reply in the thread of message 120, alerting user 7',
  ],
  ['msgr mentions', 'the messages that name you; `msgr unread` counts what is unread'],
  ['msgr threads --unread', 'followed threads with new replies; `msgr thread 120` reads one'],
  ['msgr react 120 👍', 'react; `msgr edit 120 …` and `msgr delete 120` change your own'],
  ['msgr search deploy --chat 12', 'messages by their words, newest first'],
  ['msgr mute 12 --for 8h', 'hear nothing from chat 12 for 8 hours, on every device'],
  [
    'msgr send --to 2 --file report.pdf "the numbers"',
    'with a file; `msgr download <id>` fetches it',
  ],
  ['msgr watch --json', 'stream live events as NDJSON until Ctrl-C'],
  [
    'msgr sync --json --position-file state.pos',
    'from cron: every change since the last run, once',
  ],
  ['msgr --host http://a:8000 --host http://b:8000 --race send --to 2 hi', 'several hosts'],
  ['msgr token create ci --scope write', 'an API token for scripts and CI (shown once)'],
  [
    'MSGR_TOKEN=msgr_pat_… msgr send --group 3 --idempotency-key "$RUN_ID" "deployed"',
    'from CI: no login; a retried job posts once',
  ],
  ['msgr hook create 3 CI', 'a URL that posts into chat 3, printed as a curl command'],
)}
Hosts: --host (repeatable), else $MSGR_HOSTS (comma-separated), else the hosts saved at login,
else http://127.0.0.1:8000.
Config and tokens: $MSGR_CONFIG, else $XDG_CONFIG_HOME/msgr/config.json, else
~/.config/msgr/config.json (mode 0600).
API tokens: --token, else $MSGR_TOKEN (msgr_pat_…, from \`msgr token create\` or \`msgr bot create\`)
is used instead of the saved login, by every command but login, logout and register; it is
never saved. Tokens and bots are managed from a login session.
Environment: MSGR_HOSTS, MSGR_CONFIG, MSGR_TOKEN, MSGR_PASSWORD (login, register), NO_COLOR,
FORCE_COLOR.

${EXIT_CODES_HELP}
`;
