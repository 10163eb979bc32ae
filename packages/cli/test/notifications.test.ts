/**
 * v1.4 notification levels in the CLI: `mute` (`--for`, `--until`, `--mentions-only`) and
 * `unmute`, the real binary against a real server; `chats` shows the level (a NOTIFY column,
 * `notifications` in --json), and `sync` (like `watch`) shows a change made on another device.
 * The parsers and the words first: no server needed.
 */
import { expect } from 'chai';
import type { ChatNotifications, ChatSummary } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { formatTime, notificationsText } from '../src/format.js';
import { parseDuration, parseTime } from '../src/parse.js';
import { tempDir, type Result } from './support/msgr.js';
import { people, type Person } from './support/people.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `2031-05-06T07:08`: `at` in local time, to the minute. */
function localTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  return `${date}T${two(at.getHours())}:${two(at.getMinutes())}`;
}

describe('mute durations, times and words (plain functions)', () => {
  it('when --for is a number and a unit (or several) then milliseconds', () => {
    expect(parseDuration('30m')).to.equal(30 * MINUTE);
    expect(parseDuration('8h')).to.equal(8 * HOUR);
    expect(parseDuration('2d')).to.equal(2 * DAY);
    expect(parseDuration('1w')).to.equal(7 * DAY);
    expect(parseDuration(' 1h30m ')).to.equal(90 * MINUTE);
    expect(parseDuration('366d')).to.equal(366 * DAY);
  });

  it('when --for is not a duration, is 0 or is over a year then it is refused', () => {
    for (const bad of ['', '8', 'h', '8x', '1.5h', '-1h', '8 h', '0m', '0h0m', '367d', '53w']) {
      expect(() => parseDuration(bad), bad).to.throw(/Expected a duration/);
    }
  });

  it('when --until is an ISO date and time then that instant (local without an offset)', () => {
    expect(parseTime('2031-05-06T07:08:09Z').toISOString()).to.equal('2031-05-06T07:08:09.000Z');
    expect(parseTime('2031-05-06T09:08+02:00').toISOString()).to.equal('2031-05-06T07:08:00.000Z');
    expect(parseTime('2031-05-06T07:08').getTime()).to.equal(new Date(2031, 4, 6, 7, 8).getTime());
    expect(parseTime('2031-05-06 07:08').getTime()).to.equal(new Date(2031, 4, 6, 7, 8).getTime());
    for (const bad of ['tomorrow', '2031-05-06', '07:08', '2031-05-06T7:08', '2031-13-06T07:08']) {
      expect(() => parseTime(bad), bad).to.throw(/Expected an ISO 8601 date and time/);
    }
  });

  it('when a level is put in words then muted, mentions only or all messages, with its end', () => {
    const at = new Date(Date.now() + HOUR).toISOString();
    expect(notificationsText({ level: 'none', muted_until: null })).to.equal('muted');
    expect(notificationsText({ level: 'none', muted_until: at })).to.equal(
      `muted until ${formatTime(at)}`,
    );
    expect(notificationsText({ level: 'mentions', muted_until: null })).to.equal('mentions only');
    expect(notificationsText({ level: 'all', muted_until: null })).to.equal('all messages');
  });
});

describe('msgr mute / unmute (the binary) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  let ann: Person;
  let bob: Person;
  /** A group of Ann's, with Bob. */
  let chatId: number;

  function json<T>(result: Result): T {
    expect(result.code, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  /** `msgr chats`: the row of the group, and the NOTIFY cell's text (the header says where). */
  async function notifyCell(who: Person): Promise<string> {
    const result = await who.run(['chats']);
    expect(result.code, result.stderr).to.equal(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    const from = header!.indexOf('NOTIFY');
    const to = header!.indexOf('LAST MESSAGE');
    const row = rows.find((r) => r.startsWith(`${chatId} `));
    expect(row, result.stdout).to.not.equal(undefined);
    return row!.slice(from, to).trim();
  }

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
    [ann, bob] = await Promise.all([person('Ann'), person('Bob')]);
    chatId = (await ann.client.createGroup({ name: 'Team', participantUserIds: [bob.user.id] }))
      .chat_id;
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when muting for a while then the level and its end, in words and in JSON; chats shows it', async () => {
    const started = Date.now();
    const muted = json<ChatNotifications>(
      await ann.run(['mute', String(chatId), '--for', '8h', '--json']),
    );
    expect(muted).to.include({ chat_id: chatId, level: 'none' });
    const end = Date.parse(muted.muted_until!);
    expect(end).to.be.within(started + 8 * HOUR, Date.now() + 8 * HOUR);
    expect(await notifyCell(ann)).to.equal(`muted until ${formatTime(muted.muted_until!)}`);
    const listed = json<ChatSummary[]>(await ann.run(['chats', '--json']));
    expect(listed.find((c) => c.chat_id === chatId)!.notifications).to.deep.equal({
      level: 'none',
      muted_until: muted.muted_until,
    });
    // Bob's level is his own.
    expect(await notifyCell(bob)).to.equal('');

    const human = await ann.run(['mute', String(chatId), '--mentions-only']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.equal(`Chat ${chatId}: mentions only.\n`);
    expect(human.stderr).to.equal('');
    expect(await notifyCell(ann)).to.equal('mentions only');

    // Local time, as people type it: in two days, to the minute.
    const at = new Date(Date.now() + 2 * DAY);
    at.setSeconds(0, 0);
    const later = json<ChatNotifications>(
      await ann.run([
        'mute',
        String(chatId),
        '--until',
        localTime(at),
        '--mentions-only',
        '--json',
      ]),
    );
    expect(later).to.deep.equal({
      chat_id: chatId,
      level: 'mentions',
      muted_until: at.toISOString(),
    });
    // Too far ahead: the server says so (a refusal, exit 4).
    const beyond = new Date(Date.now() + 367 * DAY).toISOString();
    const tooFar = await ann.run(['mute', String(chatId), '--until', beyond]);
    expect(tooFar.code).to.equal(4);
    expect(tooFar.stdout).to.equal('');
    expect(tooFar.stderr).to.match(
      /^msgr: .*until: must be at most 366 days ahead.*\(validation_failed\)\n$/,
    );

    const unmuted = await ann.run(['unmute', String(chatId)]);
    expect(unmuted.code, unmuted.stderr).to.equal(0);
    expect(unmuted.stdout).to.equal(`Chat ${chatId}: all messages.\n`);
    expect(json(await ann.run(['unmute', String(chatId), '--json']))).to.deep.equal({
      chat_id: chatId,
      level: 'all',
      muted_until: null,
    });
    expect(await notifyCell(ann)).to.equal('');
  });

  it('when the options do not make a mute then exit 2 and nothing on stdout; a chat not yours: exit 4', async () => {
    const cases: [string[], RegExp][] = [
      [['--for', '8x'], /Expected a duration/],
      [['--for', '0m'], /Expected a duration longer than 0/],
      [['--for', '400d'], /at most 366 days/],
      [['--until', 'tomorrow'], /Expected an ISO 8601 date and time/],
      [['--for', '8h', '--until', '2031-05-06T07:08'], /cannot be used with option '--until/],
    ];
    for (const [args, message] of cases) {
      const result = await ann.run(['mute', String(chatId), ...args]);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(message);
    }
    const noChat = await ann.run(['mute']);
    expect(noChat.code).to.equal(2);
    const stranger = await person('Stranger');
    const refused = await stranger.run(['mute', String(chatId)]);
    expect(refused.code).to.equal(4);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.match(/\(chat_forbidden\)\n$/);
    const past = await ann.run(['mute', String(chatId), '--until', '2001-01-01T00:00Z']);
    expect(past.code).to.equal(4);
    expect(past.stderr).to.match(/must be in the future.*\(validation_failed\)\n$/);
  });

  it('when the level changes on another device then sync shows it, in JSON and in words; not a change of its own', async () => {
    const before = await bob.run(['sync']);
    expect(before.code, before.stderr).to.equal(0);
    const position = /^position: (\S+)\n$/.exec(before.stderr)![1]!;
    const at = new Date(Date.now() + 3 * HOUR);
    // The SDK is another device of Bob's; the CLI's own change does not come back to it.
    await bob.client.setNotifications(chatId, 'none', { until: at });
    await bob.run(['mute', String(chatId), '--mentions-only']);

    const records = (await bob.run(['sync', '--json', '--position', position])).stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(records).to.deep.equal([
      {
        type: 'NotificationsChanged',
        chat_id: chatId,
        level: 'none',
        muted_until: at.toISOString(),
      },
    ]);
    const words = await bob.run(['sync', '--position', position]);
    expect(words.code, words.stderr).to.equal(0);
    expect(words.stdout).to.equal(
      `[Team] notifications: muted until ${formatTime(at.toISOString())} (set on another device)\n`,
    );
  });
});
