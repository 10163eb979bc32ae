/* eslint-disable no-control-regex -- these tests look for control characters */
/** Human formats and colour decisions, as plain functions. */
import { expect } from 'chai';
import type { ChatSummary, Message, MessengerClient } from '@msgr/sdk';
import {
  chatRow,
  formatTime,
  messageLine,
  preview,
  reactionsText,
  threadLine,
  unreadText,
} from '../src/format.js';
import { Directory } from '../src/names.js';
import { Output, painter, toJson, useColor, writeError } from '../src/output.js';
import { Capture } from './support/msgr.js';

describe('human output', () => {
  it('when a time is today then HH:MM, else the date too (local time)', () => {
    const now = new Date(2025, 0, 15, 18, 0);
    expect(formatTime(new Date(2025, 0, 15, 9, 5).toISOString(), now)).to.equal('09:05');
    expect(formatTime(new Date(2024, 11, 31, 23, 59).toISOString(), now)).to.equal(
      '2024-12-31 23:59',
    );
    expect(formatTime('not a time', now)).to.equal('not a time');
  });

  it('when a preview is long or has newlines then one line of at most 40 characters', () => {
    expect(preview('a\n  b')).to.equal('a b');
    const long = preview('x'.repeat(100));
    expect([...long]).to.have.lengthOf(40);
    expect(long.endsWith('…')).to.be.true;
  });

  it('when NO_COLOR, FORCE_COLOR, --no-color or a TTY then colour accordingly', () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true, isTTY: false };
    expect(useColor({}, tty)).to.be.true;
    expect(useColor({}, pipe)).to.be.false;
    expect(useColor({ NO_COLOR: '1' }, tty)).to.be.false;
    expect(useColor({ NO_COLOR: '' }, tty)).to.be.true; // no-color.org: set and not empty
    expect(useColor({ FORCE_COLOR: '1' }, pipe)).to.be.true;
    expect(useColor({ FORCE_COLOR: '0' }, tty)).to.be.false;
    expect(useColor({ FORCE_COLOR: '1', NO_COLOR: '1' }, pipe)).to.be.false;
    expect(useColor({}, tty, { isDisabled: true })).to.be.false;
    expect(painter(false)('red', 'x')).to.equal('x');
    expect(painter(true)('red', 'x')).to.equal('\u001b[31mx\u001b[39m');
  });

  it('when a table is printed then columns are padded and the header is bold only in colour', () => {
    const plain = new Capture();
    new Output(plain, new Capture(), {
      isJson: false,
      isOutColored: false,
      isErrColored: false,
    }).table(
      ['ID', 'NAME'],
      [
        ['1', 'Ann'],
        ['100', 'Bo'],
      ],
    );
    expect(plain.text).to.equal('ID   NAME\n1    Ann\n100  Bo\n');
    const colored = new Capture();
    new Output(colored, new Capture(), {
      isJson: false,
      isOutColored: true,
      isErrColored: false,
    }).table(['ID'], [['1']]);
    expect(colored.text).to.equal('\u001b[1mID\u001b[22m\n1\n');
  });

  describe('untrusted text', () => {
    const HOSTILE = 'x\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202ey';
    const SHOWN = 'x␛]0;pwned␇␛[2J\ufffd31m\ufffdy';
    const output = () => {
      const stdout = new Capture();
      const stderr = new Capture();
      const out = new Output(stdout, stderr, {
        isJson: false,
        isOutColored: false,
        isErrColored: false,
      });
      return { out, stdout, stderr };
    };

    it('when a table cell holds controls then they show, and the columns still line up', () => {
      const { out, stdout } = output();
      out.table(
        ['ID', 'NAME', 'EMAIL'],
        [
          ['1', HOSTILE, 'a@x'],
          ['2', 'two\nlines', 'b@x'],
        ],
      );
      const lines = stdout.text.trimEnd().split('\n');
      expect(lines).to.deep.equal([
        `ID  NAME${' '.repeat(SHOWN.length - 4)}  EMAIL`,
        `1   ${SHOWN}  a@x`,
        `2   two lines${' '.repeat(SHOWN.length - 9)}  b@x`,
      ]);
    });

    it('when a note, a warning or the error line quotes the server then controls show', () => {
      const { out, stderr } = output();
      out.note(`typing: ${HOSTILE}`);
      out.warn(`lost the connection (${HOSTILE})`);
      writeError(stderr, `refused: ${HOSTILE}\nsecond line`, false);
      expect(stderr.text).to.not.match(/[\u0007\u001b\u0080-\u009f\u202e]/);
      expect(stderr.text).to.equal(
        `typing: ${SHOWN}\nmsgr: lost the connection (${SHOWN})\n` +
          `msgr: refused: ${SHOWN} second line\n`,
      );
    });

    it('when a preview holds controls then they show, within the length', () => {
      expect(preview(HOSTILE)).to.equal(SHOWN);
      expect(preview('\u001b'.repeat(100))).to.equal(`${'␛'.repeat(39)}…`);
    });

    it('when JSON holds C1, DEL or bidi controls then they are \\u escapes: the data is unchanged', () => {
      const value = { text: `${HOSTILE}\u007f\u2066é😀` };
      const json = toJson(value, 2);
      expect(json).to.not.match(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
      );
      expect(json).to.include('\\u009b31m').and.include('\\u202e').and.include('é😀');
      expect(JSON.parse(json)).to.deep.equal(value);
      expect(toJson({ plain: 'text' })).to.equal(JSON.stringify({ plain: 'text' }));
    });
  });

  describe('messages that changed', () => {
    const ann = { id: 1, email: 'ann@x', name: 'Ann' };
    const team: ChatSummary = {
      chat_id: 9,
      kind: 'group',
      title: 'Team',
      group_id: 3,
      owner_id: 1,
      member_ids: [1, 2],
      unread_count: 0,
      unread_mentions: 0,
      notifications: { level: 'all', muted_until: null },
    };
    /** A Directory from a client that knows Ann and the chat Team only. */
    const names = () =>
      Directory.load({
        me: () => Promise.resolve(ann),
        chats: () => Promise.resolve([team]),
        users: () => Promise.resolve([]),
      } as unknown as MessengerClient);
    const at = new Date();
    at.setHours(14, 3);
    const m = (fields: Partial<Message>): Message => ({
      id: 12,
      chat_id: 9,
      sender_id: 1,
      text: 'lunch?',
      timestamp: at.toISOString(),
      is_read: false,
      edited_at: null,
      deleted: false,
      reply_to: null,
      reactions: [],
      attachments: [],
      mentions: [],
      mention_all: false,
      thread_id: null,
      thread: null,
      ...fields,
    });
    const paint = painter(false);

    it('when a message is plain then `[time] #id name: text`; with the chat shown, its title first', async () => {
      const directory = await names();
      expect(messageLine(m({}), directory, paint)).to.equal('[14:03] #12 Ann: lunch?');
      expect(messageLine(m({}), directory, paint, { isChatShown: true })).to.equal(
        '[14:03] [Team] #12 Ann: lunch?',
      );
    });

    it('when edited and reacted to then `(edited)` and the reactions follow the text', async () => {
      const reactions = [
        { emoji: '👍', count: 2, me: true },
        { emoji: '❤', count: 1, me: false },
      ];
      const line = messageLine(m({ edited_at: at.toISOString(), reactions }), await names(), paint);
      expect(line).to.equal('[14:03] #12 Ann: lunch? (edited)  👍 2  ❤ 1');
    });

    it('when deleted then `[deleted]` and nothing else', async () => {
      const tomb = m({ text: '', deleted: true, edited_at: at.toISOString(), reply_to: 3 });
      expect(messageLine(tomb, await names(), paint)).to.equal('[14:03] #12 Ann: [deleted]');
    });

    it('when a reply then the message it answers comes first, indented; unknown: its id alone', async () => {
      const directory = await names();
      const reply = m({ id: 13, sender_id: 2, text: 'yes', reply_to: 12 });
      const question = m({ text: `a long question ${'x'.repeat(60)}` });
      expect(
        messageLine(reply, directory, paint, { repliedTo: question }).split('\n'),
      ).to.deep.equal([
        `  ↳ reply to #12 Ann: a long question ${'x'.repeat(23)}…`,
        '[14:03] #13 user 2: yes',
      ]);
      expect(messageLine(reply, directory, paint)).to.equal(
        '  ↳ reply to #12\n[14:03] #13 user 2: yes',
      );
      const gone = m({ text: '', deleted: true });
      expect(messageLine(reply, directory, paint, { repliedTo: gone })).to.match(
        /^ {2}↳ reply to #12 Ann: \[deleted\]\n/,
      );
    });

    it('when a message is in a thread then `↳ #root` first; a root with replies says how many', async () => {
      const directory = await names();
      const reply = m({ id: 15, sender_id: 2, text: 'yes', thread_id: 12 });
      expect(messageLine(reply, directory, paint)).to.equal('[14:03] ↳ #12 #15 user 2: yes');
      expect(messageLine(reply, directory, paint, { isChatShown: true })).to.equal(
        '[14:03] [Team] ↳ #12 #15 user 2: yes',
      );
      // Where the thread is what is shown, its replies need no prefix.
      expect(messageLine(reply, directory, paint, { isThreadShown: false })).to.equal(
        '[14:03] #15 user 2: yes',
      );
      const thread = (reply_count: number) => ({
        reply_count,
        last_reply_at: at.toISOString(),
        last_reply_id: 15,
        participant_ids: [1, 2],
      });
      const reactions = [{ emoji: '👍', count: 1, me: false }];
      expect(
        messageLine(
          m({ thread: thread(3), edited_at: at.toISOString(), reactions }),
          directory,
          paint,
        ),
      ).to.equal('[14:03] #12 Ann: lunch? (edited) (3 replies)  👍 1');
      expect(messageLine(m({ thread: thread(1) }), directory, paint)).to.equal(
        '[14:03] #12 Ann: lunch? (1 reply)',
      );
      // Every reply deleted: nothing to count.
      expect(messageLine(m({ thread: thread(0) }), directory, paint)).to.equal(
        '[14:03] #12 Ann: lunch?',
      );
      const tomb = m({ text: '', deleted: true, thread: thread(2) });
      expect(messageLine(tomb, directory, paint)).to.equal(
        '[14:03] #12 Ann: [deleted] (2 replies)',
      );
    });

    it('when a message names me (or everyone) then its text is yellow with colours on; never my own', async () => {
      const directory = await names(); // Ann (1) is logged in
      const colors = painter(true);
      const yellow = (text: string) => `\u001b[33m${text}\u001b[39m`;
      const toAnn = m({ sender_id: 2, text: '@Ann look', mentions: [1] });
      const toAll = m({ sender_id: 2, text: '@all look', mention_all: true });
      const toBob = m({ sender_id: 2, text: '@Bob look', mentions: [3] });
      expect(messageLine(toAnn, directory, colors)).to.include(`: ${yellow('@Ann look')}`);
      expect(messageLine(toAll, directory, colors)).to.include(`: ${yellow('@all look')}`);
      expect(messageLine(toBob, directory, colors)).to.not.include(yellow('@Bob look'));
      expect(messageLine(m({ mention_all: true }), directory, colors)).to.not.include('\u001b[33m');
      // Without colours, the line is as any other.
      expect(messageLine(toAnn, directory, paint)).to.equal('[14:03] #12 user 2: @Ann look');
      // Controls are made visible first, then painted: the only escapes are ours.
      const hostile = m({ sender_id: 2, text: 'x\u001b[2Jy', mentions: [1] });
      expect(messageLine(hostile, directory, colors)).to.include(yellow('x␛[2Jy'));
    });

    it('when a thread is listed then one line: its root, `N replies · last HH:MM` and the unread', async () => {
      const directory = await names();
      const later = new Date(at);
      later.setMinutes(20);
      const root = m({
        text: 'lunch at noon?\nor later',
        thread: {
          reply_count: 3,
          last_reply_at: later.toISOString(),
          last_reply_id: 20,
          participant_ids: [1, 2],
        },
      });
      expect(threadLine(root, directory, paint)).to.equal(
        '[14:03] #12 Ann: lunch at noon? or later  3 replies · last 14:20',
      );
      expect(threadLine(root, directory, paint, { isChatShown: true, unreadCount: 2 })).to.equal(
        '[14:03] [Team] #12 Ann: lunch at noon? or later  3 replies · last 14:20 · 2 unread',
      );
      const gone = { ...root, text: '', deleted: true };
      expect(threadLine(gone, directory, paint)).to.equal(
        '[14:03] #12 Ann: [deleted]  3 replies · last 14:20',
      );
    });

    it('when a chat has unread mentions then its UNREAD cell is `N @M`; the badge in words', async () => {
      const directory = await names();
      expect(chatRow({ ...team, unread_count: 5, unread_mentions: 2 }, directory)[4]).to.equal(
        '5 @2',
      );
      expect(chatRow({ ...team, unread_count: 5 }, directory)[4]).to.equal('5');
      expect(unreadText({ chats: 1, messages: 3, mentions: 2 })).to.equal(
        'Unread: 1 chat, 3 messages, 2 mentions.',
      );
      expect(unreadText({ chats: 2, messages: 1, mentions: 1 })).to.equal(
        'Unread: 2 chats, 1 message, 1 mention.',
      );
    });

    it('when an emoji or a text holds controls then they show', async () => {
      const HOSTILE = 'x\u001b[2J\u202ey';
      expect(reactionsText([{ emoji: HOSTILE, count: 1, me: false }])).to.equal('x␛[2J\ufffdy 1');
      const line = messageLine(m({ text: HOSTILE, reply_to: 12 }), await names(), paint, {
        repliedTo: m({ text: HOSTILE }),
      });
      expect(line).to.not.match(/[\u001b\u202e]/);
    });
  });
});
