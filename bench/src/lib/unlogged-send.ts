/**
 * The v1.1 send — msgr_send without the log — for the log-cost scenario's "before", derived from
 * today's msgr_send (packages/server/src/db/sql/msgr_send.sql) at run time: step 6 (the message's
 * event, the new chat's member spans and the `msgr_announce` of its id) is replaced by what v1.1
 * did there, one NOTIFY of `{"t":"Message","chat_id","id"}` (004's `pg_notify`, made
 * `msgr_publish()` by 005; since v1.2 that function is `msgr_bus()`, msgr_publish refusing all but
 * marks). Everything else is today's text, so the two differ by the log alone: message ids come
 * from `stream_seq` in both, as they do since 006.
 *
 * The derivation checks its own result (it throws when msgr_send.sql no longer has the step it
 * replaces, or when the result still touches the log), so a change of msgr_send.sql makes the
 * scenario fail rather than compare the wrong thing.
 */
import { readFileSync } from 'node:fs';
import * as M from '../../../packages/server/src/db/messages-queries.js';
import type { SendStatement } from './sends.js';

const SEND_SQL = new URL('../../../packages/server/src/db/sql/msgr_send.sql', import.meta.url);

/** What v1.1 announced a new message with (005-bus.ts), through 006's msgr_bus. */
const V11_NOTIFY = `  PERFORM msgr_bus(
    json_build_object('t', 'Message', 'chat_id', v_chat, 'id', v_message)::text);\n`;

const STEP_6 =
  /^ {2}-- 6\. The message's event[\s\S]*?PERFORM msgr_announce\(ARRAY\[v_message\]\);\n/m;
const HEADER = 'CREATE OR REPLACE FUNCTION msgr_send(';

/** SQL without its `--` comments (none of msgr_send's string literals holds `--`). */
export function withoutComments(text: string): string {
  return text.replace(/--[^\n]*/g, '');
}

/** Today's msgr_send, as the server installs it. */
export function loggedSendSql(): string {
  return readFileSync(SEND_SQL, 'utf8');
}

/** The v1.1 send as a `CREATE OR REPLACE FUNCTION <name>(…)`, checked (see above). */
export function unloggedSendSql(name: string): string {
  const today = loggedSendSql();
  const steps = today.match(new RegExp(STEP_6.source, 'gm')) ?? [];
  if (steps.length !== 1 || today.split(HEADER).length !== 2) {
    throw new Error(
      'msgr_send.sql changed: its step 6 (events insert … msgr_announce) or its header is not ' +
        'where bench/src/lib/unlogged-send.ts looks for it; update the derivation',
    );
  }
  const derived = today
    .replace(STEP_6, V11_NOTIFY)
    .replace(HEADER, `CREATE OR REPLACE FUNCTION ${name}(`);
  const code = withoutComments(derived);
  for (const word of ['events', 'member_spans', 'msgr_announce', 'msgr_message_frame']) {
    if (new RegExp(`\\b${word}\\b`).test(code)) {
      throw new Error(`the derived v1.1 send still mentions ${word}:\n${derived}`);
    }
  }
  if (!/\bINSERT INTO messages\b/.test(code) || !code.includes("'t', 'Message'")) {
    throw new Error(`the derived v1.1 send lost its message insert or its NOTIFY:\n${derived}`);
  }
  return derived;
}

/** The server's send statement, calling `name` instead of msgr_send (same named parameters). */
export function sendStatementFor(name: string): SendStatement {
  if (!M.send.text.includes('msgr_send('))
    throw new Error('messages.send no longer calls msgr_send');
  return { name: `bench.${name}`, text: M.send.text.replace('msgr_send(', `${name}(`) };
}
