/**
 * v1.4 mentions and threads in the CLI, against a real server: `send --mention/--mention-all/
 * --thread`, `mentions`, `threads` (a chat's; the followed ones with unread counts), `thread`
 * (whole, paged; `--read`), `follow`/`unfollow`, `chats` (`5 @2`), `unread`, and how history
 * and sync show threads and mentions. The real binary, and `run()` in-process for the badge.
 */
import { expect } from 'chai';
import type { FollowedThread, Message, UnreadTotals } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { formatTime } from '../src/format.js';
import { msgr, runInProcess, tempDir, type Result } from './support/msgr.js';
import { people, type Person } from './support/people.js';

/** `[14:03]`, as a pattern: the time of a line. */
const TIME = String.raw`\[\d\d:\d\d\]`;
/** `text` as a pattern that matches it literally. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Yellow, as the painter writes it. */
const yellow = (text: string) => `\u001b[33m${text}\u001b[39m`;

describe('msgr mentions and threads (the binary) against a real server', function () {
  this.timeout(90_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  /** Ann owns Team, with Bob, Carol and Dan (who never writes); Olga is in no chat of theirs. */
  let ann: Person;
  let bob: Person;
  let carol: Person;
  let dan: Person;
  let olga: Person;
  let groupId: number;
  let chatId: number;
  /** Ann's root; Bob's reply naming Ann; Carol's reply naming everyone; Carol's top level. */
  let root: Message;
  let named: Message;
  let all: Message;
  let plain: Message;

  function json<T>(result: Result): T {
    expect(result.code, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  /** A refusal: exit 4, one line on stderr ending in the code, nothing on stdout. */
  function refused(result: Result, code: string): void {
    expect(result.code, result.stderr).to.equal(4);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(new RegExp(`^msgr: [^\\n]*\\(${code}\\)\\n$`));
  }

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
    [ann, bob, carol, dan, olga] = await Promise.all([
      person('Ann'),
      person('Bob'),
      person('Carol'),
      person('Dan'),
      person('Olga'),
    ]);
    const members = [bob, carol, dan].map((p) => p.user.id);
    const group = await ann.client.createGroup({ name: 'Team', participantUserIds: members });
    ({ group_id: groupId, chat_id: chatId } = group);
    root = await ann.client.sendToGroup(groupId, 'lunch at noon?');
    named = await bob.client.sendToGroup(groupId, '@Ann noon works', {
      threadId: root.id,
      mentions: [ann.user.id],
    });
    all = await carol.client.sendToGroup(groupId, '@all me too', {
      threadId: root.id,
      mentionAll: true,
    });
    plain = await carol.client.sendToGroup(groupId, 'no thread here');
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when sending with --mention (email and id), --mention-all and --thread then the message carries them', async () => {
    const started = json<Message>(
      await bob.run(['send', '--group', `${groupId}`, 'deploy?', '--json']),
    );
    const reply = json<Message>(
      await carol.run([
        'send',
        '--group',
        `${groupId}`,
        '--thread',
        `${started.id}`,
        '--mention',
        ann.email.toUpperCase(), // emails match in any case
        '--mention',
        `${bob.user.id}`,
        '--mention',
        bob.email, // the same person twice: named once
        '@Ann @Bob done',
        '--json',
      ]),
    );
    expect(reply).to.include({ text: '@Ann @Bob done', thread_id: started.id, mention_all: false });
    expect([...reply.mentions].sort((a, b) => a - b)).to.deep.equal(
      [ann.user.id, bob.user.id].sort((a, b) => a - b),
    );

    const human = await bob.run([
      'send',
      '--group',
      `${groupId}`,
      '--thread',
      `${started.id}`,
      '--mention-all',
      '@all thanks',
    ]);
    expect(human.code, human.stderr).to.equal(0);
    const [, id] = /^Sent message (\d+) /.exec(human.stdout)!;
    expect(human.stdout).to.equal(
      `Sent message ${id} to chat ${chatId} in thread #${started.id}.\n`,
    );
    const sent = await ann.client.message(Number(id));
    expect(sent).to.include({ mention_all: true, thread_id: started.id, text: '@all thanks' });
    expect(sent.mentions).to.deep.equal([]);
    // A direct chat: its peer is a member.
    const direct = json<Message>(
      await bob.run(['send', '--to', ann.email, '--mention', ann.email, '@Ann hi', '--json']),
    );
    expect(direct.mentions).to.deep.equal([ann.user.id]);
  });

  it('when someone is named then `mentions` lists it with its chat, newest first; --limit and --before page', async () => {
    const listed = json<Message[]>(await ann.run(['mentions', '--json']));
    const ids = listed.map((m) => m.id);
    expect(ids.indexOf(all.id)).to.be.lessThan(ids.indexOf(named.id));
    expect(ids).to.include.members([named.id, all.id]);
    expect(ids).to.not.include(plain.id);
    expect(ids).to.not.include(root.id);

    const human = await ann.run(['mentions']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(
      new RegExp(
        `^${TIME} \\[Team\\] ↳ #${root.id} #${all.id} Carol: @all me too\\n` +
          `${TIME} \\[Team\\] ↳ #${root.id} #${named.id} Bob: @Ann noon works\\n`,
        'm',
      ),
    );
    const first = json<Message[]>(await ann.run(['mentions', '--limit', '1', '--json']));
    expect(first.map((m) => m.id)).to.deep.equal([ids[0]]);
    const next = json<Message[]>(
      await ann.run(['mentions', '--limit', '1', '--before', `${ids[0]}`, '--json']),
    );
    expect(next.map((m) => m.id)).to.deep.equal([ids[1]]);

    const nobody = await olga.run(['mentions']);
    expect(nobody.code, nobody.stderr).to.equal(0);
    expect(nobody.stdout).to.equal('');
    expect(nobody.stderr).to.equal('No messages name you.\n');
  });

  it("when listing a chat's threads then each root with `N replies · last HH:MM`; --json the roots", async () => {
    const roots = json<Message[]>(await dan.run(['threads', `${chatId}`, '--json']));
    const ours = roots.find((m) => m.id === root.id)!;
    expect(ours.thread).to.include({ reply_count: 2, last_reply_id: all.id });
    expect(roots.map((m) => m.id)).to.not.include(plain.id);

    const human = await dan.run(['threads', `${chatId}`]);
    expect(human.code, human.stderr).to.equal(0);
    const last = formatTime(ours.thread!.last_reply_at!);
    const line = `[${formatTime(root.timestamp)}] #${root.id} Ann: lunch at noon?  2 replies · last ${last}`;
    expect(human.stdout.split('\n')).to.include(line);
  });

  it('when reading a thread then its root and every reply, indented; --read marks it read and it leaves --unread', async () => {
    const followed = json<FollowedThread[]>(await ann.run(['threads', '--unread', '--json']));
    expect(followed.find((t) => t.root.id === root.id)?.unread_count).to.equal(2);
    const listed = await ann.run(['threads']);
    expect(listed.stdout).to.match(
      new RegExp(
        `^${TIME} \\[Team\\] #${root.id} Ann: lunch at noon\\?  2 replies · last \\d\\d:\\d\\d · 2 unread$`,
        'm',
      ),
    );

    const shown = await ann.run(['thread', `${root.id}`, '--read']);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.match(
      new RegExp(
        `^${TIME} \\[Team\\] #${root.id} Ann: lunch at noon\\? \\(2 replies\\)\\n` +
          `  ${TIME} #${named.id} Bob: @Ann noon works\\n` +
          `  ${TIME} #${all.id} Carol: @all me too\\n$`,
      ),
    );
    expect(shown.stderr).to.equal(`Thread ${root.id} is read up to message ${all.id}.\n`);

    const unread = await ann.run(['threads', '--unread']);
    expect(unread.code, unread.stderr).to.equal(0);
    expect(unread.stdout).to.not.include(`#${root.id} `);
    const still = json<FollowedThread[]>(await ann.run(['threads', '--json']));
    expect(still.find((t) => t.root.id === root.id)?.unread_count).to.equal(0);

    const asJson = json<Message[]>(await ann.run(['thread', `${root.id}`, '--json']));
    expect(asJson.map((m) => m.id)).to.deep.equal([root.id, named.id, all.id]);
  });

  it('when a thread has more replies than a page then `thread` reads every page', async () => {
    const big = await bob.client.sendToGroup(groupId, 'count off');
    const replies: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const sent = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          carol.client.sendToGroup(groupId, `${batch * 20 + i + 1}`, { threadId: big.id }),
        ),
      );
      replies.push(...sent.map((m) => m.id));
    }
    const whole = json<Message[]>(await bob.run(['thread', `${big.id}`, '--json']));
    expect(whole.map((m) => m.id)).to.deep.equal([big.id, ...replies.sort((a, b) => a - b)]);
    const human = await bob.run(['thread', `${big.id}`]);
    expect(human.code, human.stderr).to.equal(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).to.have.lengthOf(121);
    expect(lines[0]).to.match(new RegExp(`#${big.id} Bob: count off \\(120 replies\\)$`));
    expect(lines.slice(1).every((line) => /^ {2}\[\d\d:\d\d\] #\d+ Carol: \d+$/.test(line))).to.be
      .true;
  });

  it('when following and unfollowing by hand then the followed list follows; --json says which', async () => {
    const none = await dan.run(['threads']);
    expect(none.code, none.stderr).to.equal(0);
    expect(none.stdout).to.equal('');
    expect(none.stderr).to.match(/^You follow no threads/);

    const follow = await dan.run(['follow', `${root.id}`]);
    expect(follow.code, follow.stderr).to.equal(0);
    expect(follow.stdout).to.equal(`Following thread ${root.id}.\n`);
    const followed = json<FollowedThread[]>(await dan.run(['threads', '--json']));
    expect(followed.map((t) => t.root.id)).to.deep.equal([root.id]);
    expect(followed[0]!.unread_count).to.equal(2);

    expect(json(await dan.run(['unfollow', `${root.id}`, '--json']))).to.deep.equal({
      root_id: root.id,
      following: false,
    });
    expect(json(await dan.run(['threads', '--json']))).to.deep.equal([]);
    const again = await dan.run(['unfollow', `${root.id}`]);
    expect(again.stdout).to.equal(`No longer following thread ${root.id}.\n`);
    expect(json(await dan.run(['follow', `${root.id}`, '--json']))).to.deep.equal({
      root_id: root.id,
      following: true,
    });
  });

  it('when history and sync show threads then `↳ #root` on replies, `(N replies)` on roots, and mentions of you in yellow', async () => {
    const history = await ann.run(['history', `${chatId}`, '--all']);
    expect(history.code, history.stderr).to.equal(0);
    for (const line of [
      `#${root.id} Ann: lunch at noon? (2 replies)`,
      `↳ #${root.id} #${named.id} Bob: @Ann noon works`,
      `↳ #${root.id} #${all.id} Carol: @all me too`,
      `#${plain.id} Carol: no thread here`,
    ]) {
      expect(history.stdout).to.match(new RegExp(`^${TIME} ${escape(line)}$`, 'm'));
    }

    const colored: NodeJS.ProcessEnv = { ...ann.env, FORCE_COLOR: '1' };
    delete colored.NO_COLOR;
    const painted = (await msgr(['history', `${chatId}`, '--all'], { env: colored })).stdout;
    expect(painted).to.include(`: ${yellow('@Ann noon works')}`);
    expect(painted).to.include(`: ${yellow('@all me too')}`);
    expect(painted).to.include(': no thread here');
    expect(painted).to.not.include(yellow('no thread here'));
    expect(painted).to.not.include(yellow('lunch at noon?'));
    // Carol's own @all is not an alert to her.
    const hers = { ...colored, MSGR_CONFIG: carol.env.MSGR_CONFIG };
    expect((await msgr(['history', `${chatId}`, '--all'], { env: hers })).stdout).to.not.include(
      yellow('@all me too'),
    );

    const position = /^position: (\S+)\n$/.exec((await ann.run(['sync'])).stderr)![1]!;
    const late = await bob.client.sendToGroup(groupId, 'late reply', { threadId: root.id });
    const synced = await ann.run(['sync', '--position', position]);
    expect(synced.code, synced.stderr).to.equal(0);
    expect(synced.stdout).to.match(
      new RegExp(`^${TIME} \\[Team\\] ↳ #${root.id} #${late.id} Bob: late reply\\n$`),
    );
  });

  it('when something is unread then chats shows `N @M` and unread the badge totals (in-process)', async () => {
    const [eve, finn] = await Promise.all([person('Eve'), person('Finn')]);
    const team = await eve.client.createGroup({ name: 'Pair', participantUserIds: [finn.user.id] });
    await eve.client.sendToGroup(team.group_id, 'one');
    await eve.client.sendToGroup(team.group_id, '@Finn two', { mentions: [finn.user.id] });
    const last = await eve.client.sendToGroup(team.group_id, '@all three', { mentionAll: true });

    const chats = await runInProcess(['chats'], { env: finn.env });
    expect(chats.code, chats.stderr).to.equal(0);
    expect(chats.stdout).to.match(
      new RegExp(
        `^${team.chat_id} +group +Pair +--group ${team.group_id} +3 @2 +Eve: @all three$`,
        'm',
      ),
    );
    const badge = await runInProcess(['unread'], { env: finn.env });
    expect(badge.code, badge.stderr).to.equal(0);
    expect(badge.stdout).to.equal('Unread: 1 chat, 3 messages, 2 mentions.\n');
    const totals = await runInProcess(['unread', '--json'], { env: finn.env });
    expect(JSON.parse(totals.stdout) as UnreadTotals).to.deep.equal({
      chats: 1,
      messages: 3,
      mentions: 2,
    });

    await finn.client.markRead(last.id);
    const read = await runInProcess(['chats'], { env: finn.env });
    expect(read.stdout).to.match(
      new RegExp(`^${team.chat_id} +group +Pair +--group \\d+ +0 +Eve:`, 'm'),
    );
    const zero = await runInProcess(['unread'], { env: finn.env });
    expect(zero.stdout).to.equal('Unread: 0 chats, 0 messages, 0 mentions.\n');
  });

  it('when a mention or a thread is wrong then exit 4 (the server refused, or no such user) and nothing is sent', async () => {
    const before = (await ann.client.history(chatId, { limit: 1 }))[0]!.id;
    const send = (...args: string[]) => bob.run(['send', '--group', `${groupId}`, ...args, 'hi']);

    const unknown = await send('--mention', 'nobody-here@example.com');
    expect(unknown.code).to.equal(4);
    expect(unknown.stdout).to.equal('');
    expect(unknown.stderr).to.equal(
      'msgr: no user has the email nobody-here@example.com (search with `msgr users <query>`)\n',
    );
    refused(await send('--mention', olga.email), 'mention_invalid');
    refused(await send('--mention', `${olga.user.id}`), 'mention_invalid');
    refused(await send('--thread', '999999999'), 'thread_invalid');
    refused(await send('--thread', `${named.id}`), 'thread_invalid');
    expect((await ann.client.history(chatId, { limit: 1 }))[0]!.id).to.equal(before);

    refused(await ann.run(['thread', '999999999']), 'message_not_found');
    const reply = await ann.run(['thread', `${named.id}`]);
    refused(reply, 'thread_invalid');
    expect(reply.stderr).to.include(`see \`msgr thread ${root.id}\``);
    refused(await ann.run(['follow', '999999999']), 'message_not_found');
    refused(await ann.run(['unfollow', `${named.id}`]), 'thread_invalid');
    refused(await olga.run(['thread', `${root.id}`]), 'chat_forbidden');
    refused(await olga.run(['threads', `${chatId}`]), 'chat_forbidden');
    refused(await olga.run(['follow', `${root.id}`]), 'chat_forbidden');

    const usage: string[][] = [
      ['thread', 'abc'],
      ['follow'],
      ['threads', `${chatId}`, '--unread'],
      ['mentions', '--limit', '0'],
      ['send', '--group', `${groupId}`, '--thread', '0', 'hi'],
      ['send', '--group', `${groupId}`, '--mention', 'bob', 'hi'],
    ];
    for (const args of usage) {
      const result = await ann.run(args);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stdout, args.join(' ')).to.equal('');
    }
  });

  it('when editing with --mention/--mention-all/--no-mentions then whom it names changes; without them it stays', async () => {
    const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);
    const m = await bob.client.sendToGroup(groupId, '@Ann look', { mentions: [ann.user.id] });
    const renamed = json<Message>(
      await bob.run([
        'edit',
        `${m.id}`,
        '@Carol @Dan look',
        '--mention',
        carol.email.toUpperCase(), // emails match in any case
        '--mention',
        `${dan.user.id}`,
        '--mention',
        carol.email, // the same person twice: named once
        '--json',
      ]),
    );
    expect(renamed).to.include({ id: m.id, text: '@Carol @Dan look', mention_all: false });
    expect(renamed.edited_at).to.be.a('string');
    expect(sorted(renamed.mentions)).to.deep.equal(sorted([carol.user.id, dan.user.id]));
    expect(sorted((await ann.client.message(m.id)).mentions)).to.deep.equal(
      sorted([carol.user.id, dan.user.id]),
    );
    // The server followed: Carol is named now, Ann no longer.
    const carols = json<Message[]>(await carol.run(['mentions', '--json']));
    expect(carols.map((x) => x.id)).to.include(m.id);
    const anns = json<Message[]>(await ann.run(['mentions', '--json']));
    expect(anns.map((x) => x.id)).to.not.include(m.id);

    // No --mention: the server keeps whom it names.
    const kept = await bob.run(['edit', `${m.id}`, '@Carol @Dan look again']);
    expect(kept.code, kept.stderr).to.equal(0);
    expect(kept.stdout).to.equal(`Edited message ${m.id} in chat ${chatId}.\n`);
    const now = await ann.client.message(m.id);
    expect(now).to.include({ text: '@Carol @Dan look again', mention_all: false });
    expect(sorted(now.mentions)).to.deep.equal(sorted([carol.user.id, dan.user.id]));

    // --mention-all alone: @all now, the same people still named.
    const everyone = json<Message>(
      await bob.run(['edit', `${m.id}`, '@all look', '--mention-all', '--json']),
    );
    expect(everyone).to.include({ text: '@all look', mention_all: true });
    expect(sorted(everyone.mentions)).to.deep.equal(sorted([carol.user.id, dan.user.id]));
    const byAll = json<Message[]>(await ann.run(['mentions', '--json']));
    expect(byAll.map((x) => x.id)).to.include(m.id);

    // --mention alone: other people, and @all stays as it was.
    const narrowed = json<Message>(
      await bob.run(['edit', `${m.id}`, '@all @Ann look', '--mention', ann.email, '--json']),
    );
    expect(narrowed).to.include({ mention_all: true });
    expect(narrowed.mentions).to.deep.equal([ann.user.id]);

    // --no-mentions: nobody, and no @all.
    const nobody = json<Message>(
      await bob.run(['edit', `${m.id}`, 'look', '--no-mentions', '--json']),
    );
    expect(nobody).to.include({ text: 'look', mention_all: false });
    expect(nobody.mentions).to.deep.equal([]);
    const afterAll = json<Message[]>(await ann.run(['mentions', '--json']));
    expect(afterAll.map((x) => x.id)).to.not.include(m.id);
  });

  it('when an edit names someone unknown, too many, or both nobody and someone, then it fails as send does and nothing changes', async () => {
    const m = await bob.client.sendToGroup(groupId, '@Ann hi', { mentions: [ann.user.id] });
    const unchanged = async () => {
      const now = await ann.client.message(m.id);
      expect(now).to.include({ text: '@Ann hi', edited_at: null, mention_all: false });
      expect(now.mentions).to.deep.equal([ann.user.id]);
    };
    const edit = (...args: string[]) => bob.run(['edit', `${m.id}`, 'changed', ...args]);
    const send = (...args: string[]) => bob.run(['send', '--group', `${groupId}`, 'hi', ...args]);

    const unknown = await edit('--mention', 'nobody-here@example.com');
    expect(unknown.code).to.equal(4);
    expect(unknown.stdout).to.equal('');
    expect(unknown.stderr).to.equal(
      'msgr: no user has the email nobody-here@example.com (search with `msgr users <query>`)\n',
    );
    const sentUnknown = await send('--mention', 'nobody-here@example.com');
    expect([unknown.code, unknown.stderr]).to.deep.equal([sentUnknown.code, sentUnknown.stderr]);

    const notUser = await edit('--mention', 'bob');
    expect(notUser.code).to.equal(2);
    expect(notUser.stderr).to.equal('msgr: "bob" is neither a user id nor an email\n');
    expect(notUser.stderr).to.equal((await send('--mention', 'bob')).stderr);
    refused(await edit('--mention', olga.email), 'mention_invalid');
    const both = await edit('--no-mentions', '--mention-all');
    expect([both.code, both.stderr]).to.deep.equal([
      2,
      'msgr: give --no-mentions, or --mention/--mention-all, not both\n',
    ]);
    await unchanged();

    // 51 people: refused before any request, here to a host where nothing listens.
    const many = Array.from({ length: 51 }, (_, i) => ['--mention', `${i + 1}`]).flat();
    const offline = { ...bob.env, MSGR_HOSTS: 'http://127.0.0.1:9' };
    const tooMany = await msgr(['edit', `${m.id}`, 'changed', ...many], { env: offline });
    expect(tooMany.code).to.equal(2);
    expect(tooMany.stdout).to.equal('');
    expect(tooMany.stderr).to.equal(
      'msgr: a message names at most 50 people (--mention), not 51\n',
    );
    const sentTooMany = await msgr(['send', '--group', `${groupId}`, 'hi', ...many], {
      env: offline,
    });
    expect([tooMany.code, tooMany.stderr]).to.deep.equal([sentTooMany.code, sentTooMany.stderr]);
    // 50 is the limit, not a refusal: the same host then fails for being unreachable (exit 5).
    const fifty = many.slice(0, 100);
    const reached = await msgr(['edit', `${m.id}`, 'changed', ...fifty], { env: offline });
    expect(reached.code, reached.stderr).to.equal(5);
    await unchanged();
  });

  it('when history is --top-level then thread replies are left out, roots and other messages kept; --all --json too', async () => {
    const topic = await bob.client.sendToGroup(groupId, 'another topic');
    const answers = [
      await carol.client.sendToGroup(groupId, 'first answer', { threadId: topic.id }),
      await carol.client.sendToGroup(groupId, 'second answer', { threadId: topic.id }),
    ];
    const after = await carol.client.sendToGroup(groupId, 'back at top level');
    const replies = [named.id, all.id, ...answers.map((m) => m.id)];
    const everything: Message[] = [];
    for await (const m of ann.client.iterateHistory(chatId)) everything.push(m);
    const topLevel = everything.filter((m) => m.thread_id === null).map((m) => m.id);
    expect(everything.map((m) => m.id)).to.include.members(replies); // there is something to leave out
    expect(topLevel).to.include.members([root.id, plain.id, topic.id, after.id]);

    const page = json<Message[]>(await ann.run(['history', `${chatId}`, '--top-level', '--json']));
    expect(page.map((m) => m.id)).to.deep.equal(topLevel.slice(-50));
    for (const id of replies) expect(page.map((m) => m.id)).to.not.include(id);
    const shownTopic = page.find((m) => m.id === topic.id)!;
    expect(shownTopic.thread).to.include({ reply_count: 2, last_reply_id: answers[1]!.id });

    // Every page (of 2 top-level messages, replies in between), as NDJSON.
    const streamed = await ann.run([
      'history',
      `${chatId}`,
      '--all',
      '--top-level',
      '--limit',
      '2',
      '--json',
    ]);
    expect(streamed.code, streamed.stderr).to.equal(0);
    const lines = streamed.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Message);
    expect(lines.map((m) => m.id)).to.deep.equal(topLevel);
    const from = json<Message[]>(
      await ann.run(['history', `${chatId}`, '--top-level', '--after', `${topic.id}`, '--json']),
    );
    expect(from.map((m) => m.id)).to.deep.equal([after.id]);

    const human = await ann.run(['history', `${chatId}`, '--top-level']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.not.include('↳ #');
    for (const line of [
      `#${topic.id} Bob: another topic (2 replies)`,
      `#${after.id} Carol: back at top level`,
      `#${plain.id} Carol: no thread here`,
    ]) {
      expect(human.stdout).to.match(new RegExp(`^${TIME} ${escape(line)}$`, 'm'));
    }
    expect(human.stdout).to.match(
      new RegExp(`^${TIME} #${root.id} Ann: lunch at noon\\? \\(\\d+ replies\\)$`, 'm'),
    );
    for (const text of ['first answer', 'second answer', '@Ann noon works', '@all me too']) {
      expect(human.stdout).to.not.include(text);
    }
    const allHuman = await ann.run([
      'history',
      `${chatId}`,
      '--all',
      '--top-level',
      '--limit',
      '3',
    ]);
    expect(allHuman.code, allHuman.stderr).to.equal(0);
    const shown = allHuman.stdout.match(new RegExp(`^${TIME} #\\d+ `, 'gm')) ?? [];
    expect(shown).to.have.lengthOf(topLevel.length);
    expect(allHuman.stdout).to.not.include('↳ #');
  });
});
