/**
 * The echo bot's commands: what to answer to a message's text, or nothing.
 *
 * A pure function of the message on purpose. When the bot restarts after a crash it may meet a
 * command it had already answered, and it answers again under the same `Idempotency-Key`: the
 * server then hands back the first answer instead of posting a second one — but only when the
 * request is the same. Another text under that key is refused (422 `idempotency_key_conflict`),
 * so `!roll` cannot use `Math.random()`: its dice come from a hash of the message id.
 */
import { createHash } from 'node:crypto';

/** The most dice one `!roll` throws. */
export const MAX_DICE = 100;
/** The most sides a die may have. */
export const MAX_SIDES = 1000;

const ECHO_USAGE = 'usage: !echo <text>';
const ROLL_USAGE = `usage: !roll [NdM], at most ${MAX_DICE} dice of 2..${MAX_SIDES} sides (default 1d6)`;

/**
 * The answer to a message with this text and id, or undefined when it is no command.
 *
 * @example
 * answerTo('!echo hi there', 41); // 'hi there'
 * answerTo('!roll 2d6', 42); // '🎲 2d6: 3 + 5 = 8' (always the same for message 42)
 * answerTo('hello', 43); // undefined
 */
export function answerTo(text: string, messageId: number): string | undefined {
  const [, command, rest = ''] = /^(![a-z]+)(?:\s+([\s\S]*))?$/.exec(text.trim()) ?? [];
  switch (command) {
    case '!echo':
      return rest === '' ? ECHO_USAGE : rest;
    case '!roll':
      return roll(rest, messageId);
    default:
      return undefined;
  }
}

/** `!roll` with its argument: `''` (one six-sided die), `NdM` or `dM` (one die of M sides). */
function roll(argument: string, messageId: number): string {
  const match = /^(?:(\d{1,3})?d(\d{1,4}))?$/i.exec(argument);
  if (!match) return ROLL_USAGE;
  const n = Number(match[1] ?? 1);
  const m = Number(match[2] ?? 6);
  if (n < 1 || n > MAX_DICE || m < 2 || m > MAX_SIDES) return ROLL_USAGE;
  const dice = Array.from({ length: n }, (_, i) => die(messageId, i, m));
  const total = dice.reduce((a, b) => a + b, 0);
  return n === 1 ? `🎲 1d${m}: ${total}` : `🎲 ${n}d${m}: ${dice.join(' + ')} = ${total}`;
}

/**
 * Die `index` of the roll asked for in message `messageId`: 1..`sides`, from SHA-256. The same
 * message always rolls the same; different messages roll independently. (Anyone who knows the
 * message id can work the result out: fine for a game, not for a lottery.)
 */
export function die(messageId: number, index: number, sides: number): number {
  const digest = createHash('sha256').update(`echo-bot:roll:${messageId}:${index}`).digest();
  // 48 bits modulo at most 1000: the bias is below 1e-11.
  return 1 + (digest.readUIntBE(0, 6) % sides);
}
