/**
 * A TEST HOOK, not a feature: it makes the echo bot die abruptly (SIGKILL, as a power cut or
 * the OOM killer would) at the two moments where a bot most easily answers twice or not at all,
 * so that a test can hit them every time instead of by luck:
 *
 * - `MSGR_BOT_CRASH_AT=before-answer:N` — the bot has read a command and is about to send its
 *   N-th answer of this run: it dies without answering. Restarted, it must answer it.
 * - `MSGR_BOT_CRASH_AT=after-answer:N` — the N-th answer of this run was sent, but the position
 *   after its command was not saved yet: it dies. Restarted, it reads that command again and
 *   must not answer twice (the `Idempotency-Key` makes the second send a replay).
 *
 * Unset (the normal case), it does nothing.
 */

/** Where the bot may be made to crash. */
export type CrashPoint = 'before-answer' | 'after-answer';

const spec = /^(before-answer|after-answer):([1-9]\d*)$/.exec(process.env.MSGR_BOT_CRASH_AT ?? '');
if (process.env.MSGR_BOT_CRASH_AT && !spec) {
  process.stderr.write('echo-bot: MSGR_BOT_CRASH_AT is before-answer:<n> or after-answer:<n>\n');
  process.exit(2);
}

/** Dies here when MSGR_BOT_CRASH_AT names this point and this answer (1 = the run's first). */
export function crashPoint(point: CrashPoint, answer: number): void {
  if (spec?.[1] !== point || Number(spec[2]) !== answer) return;
  process.stderr.write(`crash hook: dying at ${point}:${answer}\n`);
  process.kill(process.pid, 'SIGKILL');
}
