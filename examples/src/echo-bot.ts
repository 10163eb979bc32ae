/**
 * An echo bot for msgr. It answers `!echo <text>` with the text and `!roll [NdM]` with dice, in
 * the chat (group or direct) where the command was written, as a reply to it — exactly once per
 * command, however often it is killed and started again.
 *
 *   MSGR_HOSTS=http://127.0.0.1:8000 MSGR_TOKEN=msgr_pat_… MSGR_BOT_STATE=./echo-bot.position \
 *     node --import tsx examples/src/echo-bot.ts
 *
 * - `MSGR_HOSTS`: the server's instances, comma separated (default `http://127.0.0.1:8000`).
 * - `MSGR_TOKEN`: the bot's API token, as `POST /bots` answered it (`msgr bot create`).
 * - `MSGR_BOT_STATE`: the file that keeps its place in the log (default `./echo-bot.position`).
 *
 * "Exactly once" is two halves:
 * - Nothing is missed. The bot reads every change its account sees with `client.changes()`,
 *   and after handling each one saves its position in MSGR_BOT_STATE. Started again, it goes on
 *   from there: each event after the saved position comes again, so each is handled at least
 *   once.
 * - Nothing is answered twice. The one event it was handling when it died does come again. Each
 *   answer is sent under an `Idempotency-Key` made from the id of the command's message, so the
 *   second send gets the first answer back instead of posting another: at most once. (The
 *   server remembers keys for IDEMPOTENCY_WINDOW_SECONDS, 5 minutes by default: see the README
 *   for a bot that stays dead for longer.)
 *
 * SIGTERM or Ctrl-C stops it between two events (or aborts the answer under way, which is then
 * answered on the next start). MSGR_BOT_CRASH_AT is a test hook: see crash-hook.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { safeLine } from '@msgr/safe-text';
import { MessengerClient, MessengerError, type Message, type SendTarget } from '@msgr/sdk';
import { answerTo } from './commands.js';
import { crashPoint } from './crash-hook.js';
import { readPosition, writePosition } from './position-file.js';

const hosts = (process.env.MSGR_HOSTS ?? 'http://127.0.0.1:8000')
  .split(',')
  .map((host) => host.trim())
  .filter(Boolean);
const token = process.env.MSGR_TOKEN;
const stateFile = process.env.MSGR_BOT_STATE ?? 'echo-bot.position';
if (!token) {
  process.stderr.write('echo-bot: set MSGR_TOKEN to the bot API token (msgr_pat_…)\n');
  process.exit(2);
}

const stopping = new AbortController();
const { signal } = stopping;
process.once('SIGTERM', () => stopping.abort());
process.once('SIGINT', () => stopping.abort());

const client = new MessengerClient({ hosts, token });

/** Where an answer goes, per chat id: the group, or the other person of a direct chat. */
const targets = new Map<number, SendTarget>();
/** Whether a user is a bot, per user id (that never changes). */
const bots = new Map<number, boolean>();
/** Answers this run has set out to send (for the crash hook). */
let answersBegun = 0;

async function main(): Promise<void> {
  const me = await client.me({ signal });
  let position = await readPosition(stateFile);
  if (position === undefined) {
    // The first start: from now on. The commands of before the bot existed are not for it.
    position = (await client.sync({ signal })).position;
    await writePosition(stateFile, position);
  }
  log(`ready: ${safeLine(me.name)} (user ${me.id}) from position ${position}`);

  const changes = client.changes({ position, signal });
  for await (const event of changes) {
    if (event.type === 'Message') await patiently(() => handle(event.message, me.id));
    if (event.type === 'PositionExpired') {
      warn('the saved position is older than the server keeps: going on from now');
    }
    // Only now, with the event handled: a crash before this line handles it again.
    if (changes.position !== undefined) await writePosition(stateFile, changes.position);
  }
}

/** Answers `message` if it is a command for this bot. */
async function handle(message: Message, myId: number): Promise<void> {
  // Never answer itself: the answer to `!echo !echo hi` is a command again.
  if (message.sender_id === myId || message.deleted) return;
  const answer = answerTo(message.text, message.id);
  if (answer === undefined) return;
  // Nor other bots: two echo bots in one group would answer each other for ever.
  if (await isBot(message.sender_id)) return;
  const target = await targetOf(message.chat_id);
  if (target === undefined) {
    warn(`chat ${message.chat_id} is no longer one of mine: message ${message.id} not answered`);
    return;
  }

  crashPoint('before-answer', ++answersBegun);
  const { message: sent, isReplay } = await client.send(target, answer, {
    // What this answer is about: the same command always gets the same key, in every run.
    idempotencyKey: `echo-bot:${message.id}`,
    replyTo: message.id,
    threadId: message.thread_id ?? undefined,
    signal,
  });
  const replayed = isReplay ? ' (a replay: it was answered before)' : '';
  log(`answered message ${message.id} with message ${sent.id}${replayed}: ${safeLine(answer)}`);
  crashPoint('after-answer', answersBegun);
}

/** The group, or the other person of a direct chat: asks the server about chats it does not know yet. */
async function targetOf(chatId: number): Promise<SendTarget | undefined> {
  if (!targets.has(chatId)) {
    for (const chat of await client.chats({ signal })) {
      if (chat.group_id !== undefined) targets.set(chat.chat_id, { groupId: chat.group_id });
      else if (chat.peer_user_id !== undefined) {
        targets.set(chat.chat_id, { userId: chat.peer_user_id });
      }
    }
  }
  return targets.get(chatId);
}

async function isBot(userId: number): Promise<boolean> {
  if (!bots.has(userId)) {
    const [user] = await client.users({ ids: [userId], signal });
    // A user the server no longer knows cannot be told apart: better silent than looping.
    bots.set(userId, user?.is_bot ?? true);
  }
  return bots.get(userId)!;
}

/**
 * Runs `work` until it is done: after a failure the server may recover from (no answer, 429,
 * 5xx — the SDK has already tried every host) it waits and tries again, so that no command is
 * skipped because a server restarted. A refusal (a 4xx: the bot left the group, the command
 * was deleted…) is not going to change: it is logged and the event skipped. A revoked token
 * (401) or a stop ends the bot.
 */
async function patiently(work: () => Promise<void>): Promise<void> {
  for (let failures = 0; ; failures++) {
    try {
      return await work();
    } catch (err) {
      if (signal.aborted || !(err instanceof MessengerError) || err.status === 401) throw err;
      if (!err.isRetryable) {
        warn(
          `skipped an event the server refuses to act on: ${safeLine(err.detail)} (${err.code})`,
        );
        return;
      }
      const delayMs = Math.min(30_000, 1000 * 2 ** failures);
      warn(`${err.code}: trying again in ${delayMs / 1000} s`);
      await sleep(delayMs, undefined, { signal });
    }
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function warn(line: string): void {
  process.stderr.write(`echo-bot: ${line}\n`);
}

main().then(
  () => log('stopped'),
  (err: unknown) => {
    if (signal.aborted) return log('stopped');
    warn(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
