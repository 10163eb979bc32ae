/**
 * The v1.1 commands, the real binary against a real server: group add/remove/leave/rename,
 * edit, delete, react, search, send --reply-to, and how history and watch show what changed.
 * What a script sees: stdout (human lines or the --json shapes), stderr, exit codes.
 *
 * A watch is connected before the server has registered its socket for events, and changes,
 * unlike messages, are not replayed; so the changes under test are made only once a message
 * sent after "Connected" has come through (it reaches the socket only once it is registered).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import path from 'node:path';
import { MessengerClient, type Group, type Message, type User } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { cleanEnv, msgr, spawnMsgr, StreamReader, tempDir, type Result } from './support/msgr.js';

const PASSWORD = 'password123';

describe('msgr v1.1 commands (the binary) against a real server', function () {
  this.timeout(90_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  let count = 0;

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  /** A new user, logged in with the CLI (its own config file) and with the SDK. */
  async function person(name: string) {
    const email = `${name.toLowerCase()}-${Date.now()}-${++count}@example.com`;
    const client = new MessengerClient({ hosts: servers.urls });
    const user: User = await client.register({ email, name, password: PASSWORD });
    await client.login({ email, password: PASSWORD, clientId: 'sdk' });
    const env = cleanEnv({
      MSGR_CONFIG: path.join(dir, `config-${count}.json`),
      MSGR_HOSTS: servers.urls[0]!,
      NO_COLOR: '1',
    });
    const login = await msgr(['login', email, '--password', PASSWORD], { env });
    expect(login.code, login.stderr).to.equal(0);
    /** Runs `msgr args…` as this person. */
    const run = (args: string[], input?: string) => msgr(args, { env, input });
    return { user, email, client, env, run };
  }

  /** stdout as JSON, after checking the run succeeded. */
  function json<T>(result: Result): T {
    expect(result.code, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  /** A refusal: exit 4, one line on stderr naming the server's code, nothing on stdout. */
  function refused(result: Result, code: string): void {
    expect(result.code, result.stderr).to.equal(4);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(new RegExp(`^msgr: .*\\(${code}\\)\\n$`));
  }

  it('when the owner adds, renames and removes then --json prints the group (or what was done); others are refused', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    const created = await alice.run(['group', 'create', 'Team', '--members', bob.email, '--json']);
    const group = json<Group>(created);
    expect(group.owner_id).to.equal(alice.user.id);

    const added = json<Group>(
      await alice.run(['group', 'add', String(group.group_id), carol.email, '--json']),
    );
    expect(added).to.deep.equal({
      ...group,
      member_ids: [...group.member_ids, carol.user.id].sort((a, b) => a - b),
    });
    const again = await alice.run(['group', 'add', String(group.group_id), String(bob.user.id)]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(
      `Group ${group.group_id} "Team" now has members ${added.member_ids.join(', ')}.\n`,
    );

    const renamed = json<Group>(
      await alice.run(['group', 'rename', String(group.group_id), 'Night', 'shift', '--json']),
    );
    expect(renamed).to.deep.equal({ ...added, name: 'Night shift' });
    const human = await alice.run(['group', 'rename', String(group.group_id), 'Day']);
    expect(human.stdout).to.equal(`Group ${group.group_id} is now called "Day".\n`);

    const removed = await alice.run([
      'group',
      'remove',
      String(group.group_id),
      carol.email,
      '--json',
    ]);
    expect(json(removed)).to.deep.equal({
      group_id: group.group_id,
      user_id: carol.user.id,
      removed: true,
    });
    refused(
      await alice.run(['group', 'remove', String(group.group_id), carol.email]),
      'member_not_found',
    );
    refused(await bob.run(['group', 'rename', String(group.group_id), 'Ours']), 'not_group_owner');
    refused(
      await bob.run(['group', 'add', String(group.group_id), carol.email]),
      'not_group_owner',
    );
    refused(
      await bob.run(['group', 'remove', String(group.group_id), String(alice.user.id)]),
      'not_group_owner',
    );
    const unknown = await alice.run([
      'group',
      'add',
      String(group.group_id),
      'nobody@nowhere.test',
    ]);
    expect(unknown.code).to.equal(4);
    expect(unknown.stderr).to.include('no user has the email nobody@nowhere.test');

    const left = await bob.run(['group', 'leave', String(group.group_id), '--json']);
    expect(json(left)).to.deep.equal({ group_id: group.group_id, left: true });
    const gone = await bob.run(['group', 'leave', String(group.group_id)]);
    expect(gone.code).to.equal(4);
    const chats = json<{ chat_id: number }[]>(await bob.run(['chats', '--json']));
    expect(chats.map((c) => c.chat_id)).to.not.include(group.chat_id);
    const ownerLeaves = await alice.run(['group', 'leave', String(group.group_id)]);
    expect([ownerLeaves.code, ownerLeaves.stdout]).to.deep.equal([
      0,
      `You left group ${group.group_id}.\n`,
    ]);
  });

  it('when a group command is mistyped then exit 2 and a hint', async () => {
    const alice = await person('Alice');
    for (const args of [
      ['group', 'add', '3'],
      ['group', 'add', 'x', '2'],
      ['group', 'remove', '3'],
      ['group', 'rename', '3'],
      ['group', 'leave'],
    ]) {
      const result = await alice.run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(2);
      expect(result.stderr).to.include('(add --help for usage and examples)');
    }
  });

  it('when messages are replied to, edited, reacted to and deleted then history shows it; --json has the fields', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const group = json<Group>(
      await alice.run(['group', 'create', 'Talk', '--members', String(bob.user.id), '--json']),
    );
    const gid = String(group.group_id);
    const question = json<Message>(await alice.run(['send', '--group', gid, 'lunch?', '--json']));
    expect(question).to.include({ edited_at: null, deleted: false, reply_to: null });
    const reply = json<Message>(
      await bob.run(['send', '--group', gid, '--reply-to', String(question.id), 'yes', '--json']),
    );
    expect(reply.reply_to).to.equal(question.id);
    const doomed = json<Message>(await bob.run(['send', '--group', gid, 'oops', '--json']));

    const edited = json<Message>(
      await alice.run(['edit', String(question.id), '-', '--json'], 'lunch at noon?\n'),
    );
    expect(edited).to.deep.include({ id: question.id, text: 'lunch at noon?' });
    expect(edited.edited_at).to.be.a('string');
    const plain = await alice.run(['edit', String(question.id), 'lunch', 'at', 'noon?']);
    expect(plain.stdout).to.equal(`Edited message ${question.id} in chat ${group.chat_id}.\n`);
    refused(await bob.run(['edit', String(question.id), 'mine now']), 'not_message_sender');

    const thumbs = await alice.run(['react', String(question.id), '👍', '--json']);
    expect(json(thumbs)).to.deep.equal({
      message_id: question.id,
      reactions: [{ emoji: '👍', count: 1, me: true }],
    });
    await bob.run(['react', String(question.id), '👍']);
    const heart = await bob.run(['react', String(question.id), '❤']);
    expect(heart.stdout).to.equal(`Reactions on message ${question.id}: 👍 2  ❤ 1\n`);
    const back = await bob.run(['react', String(question.id), '❤', '--remove', '--json']);
    expect(json(back)).to.deep.equal({
      message_id: question.id,
      reactions: [{ emoji: '👍', count: 2, me: true }],
    });
    refused(await bob.run(['react', String(question.id), 'two words']), 'validation_failed');

    const deleted = await bob.run(['delete', String(doomed.id), '--json']);
    expect(json(deleted)).to.deep.equal({ message_id: doomed.id, deleted: true });
    const twice = await bob.run(['delete', String(doomed.id)]);
    expect([twice.code, twice.stdout]).to.deep.equal([0, `Deleted message ${doomed.id}.\n`]);
    refused(await bob.run(['edit', String(doomed.id), 'back']), 'message_deleted');
    refused(await bob.run(['delete', String(question.id)]), 'not_message_sender');

    const history = await bob.run(['history', String(group.chat_id)]);
    expect(history.code, history.stderr).to.equal(0);
    const t = String.raw`\[\d\d:\d\d\]`;
    expect(history.stdout).to.match(
      new RegExp(
        `^${t} #${question.id} Alice: lunch at noon\\? \\(edited\\)  👍 2\n` +
          `  ↳ reply to #${question.id} Alice: lunch at noon\\?\n` +
          `${t} #${reply.id} Bob: yes\n` +
          `${t} #${doomed.id} Bob: \\[deleted\\]\n$`,
      ),
    );
    // The message replied to is not on the page: it is read on its own for the preview.
    const last = await bob.run([
      'history',
      String(group.chat_id),
      '--before',
      String(doomed.id),
      '--limit',
      '1',
    ]);
    expect(last.stdout).to.match(
      new RegExp(
        `^  ↳ reply to #${question.id} Alice: lunch at noon\\?\n${t} #${reply.id} Bob: yes\n$`,
      ),
    );
    const page = json<Message[]>(await bob.run(['history', String(group.chat_id), '--json']));
    expect(page.map((m) => [m.id, m.deleted, m.reply_to, m.edited_at !== null])).to.deep.equal([
      [question.id, false, null, true],
      [reply.id, false, question.id, false],
      [doomed.id, true, null, false],
    ]);
    expect(page[0]!.reactions).to.deep.equal([{ emoji: '👍', count: 2, me: true }]);

    const foreign = await alice.run([
      'send',
      '--to',
      String(bob.user.id),
      '--reply-to',
      String(question.id),
      'x',
    ]);
    refused(foreign, 'reply_to_invalid');
  });

  it('when searching then matches newest first; --chat, --limit, --all (NDJSON with --json); none is not an error', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const word = `quokka${Date.now()}`;
    const group = json<Group>(
      await alice.run(['group', 'create', 'Zoo', '--members', String(bob.user.id), '--json']),
    );
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await alice.client.sendToGroup(group.group_id, `${word} sighting ${i}`)).id);
    }
    const direct = await alice.client.sendToUser(bob.user.id, `a ${word.toUpperCase()} in private`);

    const all = json<Message[]>(await bob.run(['search', word, '--json']));
    expect(all.map((m) => m.id)).to.deep.equal([direct.id, ids[2], ids[1], ids[0]]);
    const one = json<Message[]>(
      await bob.run([
        'search',
        word,
        'sight',
        '--chat',
        String(group.chat_id),
        '--limit',
        '1',
        '--json',
      ]),
    );
    expect(one.map((m) => m.id)).to.deep.equal([ids[2]]);

    const ndjson = await bob.run(['search', word, '--all', '--limit', '2', '--json']);
    expect(ndjson.code, ndjson.stderr).to.equal(0);
    const lines = ndjson.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Message);
    expect(lines).to.deep.equal(all);

    const human = await bob.run(['search', word, '--all', '--limit', '2']);
    expect(human.code, human.stderr).to.equal(0);
    const shown = human.stdout.trimEnd().split('\n');
    expect(shown).to.have.lengthOf(4);
    expect(shown[0]).to.match(
      new RegExp(
        `^\\[\\d\\d:\\d\\d\\] \\[Alice\\] #${direct.id} Alice: a ${word.toUpperCase()} in private$`,
      ),
    );
    expect(shown[1]).to.match(new RegExp(`\\[Zoo\\] #${ids[2]} Alice: ${word} sighting 2$`));

    const nothing = await bob.run(['search', `${word}nothing`]);
    expect([nothing.code, nothing.stdout, nothing.stderr]).to.deep.equal([
      0,
      '',
      'No messages match.\n',
    ]);
    const outsider = await person('Outsider');
    expect((await outsider.run(['search', word, '--chat', String(group.chat_id)])).code).to.equal(
      4,
    );
    expect((await bob.run(['search', word, '--limit', '101'])).code).to.equal(2);
  });

  it('when watching then the changes arrive as lines for people, and with --json as the SDK events', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    const group = await alice.client.createGroup({
      name: 'Live',
      participantUserIds: [bob.user.id],
    });
    const first = await alice.client.sendToGroup(group.group_id, 'first');

    const human = spawnMsgr(['watch'], bob.env);
    const machine = spawnMsgr(['watch', String(group.chat_id), '--json'], bob.env);
    const readers = [human, machine].map((child) => ({
      child,
      stdout: new StreamReader(child.stdout),
      stderr: new StreamReader(child.stderr),
      exited: once(child, 'exit'),
    }));
    const [people, json] = readers as [(typeof readers)[0], (typeof readers)[0]];
    try {
      for (const r of readers) await r.stderr.until((text) => text.includes('Connected to'));
      const probe = await alice.client.sendToGroup(group.group_id, 'are you there?');
      for (const r of readers) await r.stdout.until((text) => text.includes('are you there?'));
      await alice.client.addMembers(group.group_id, [carol.user.id]);
      await alice.client.renameGroup(group.group_id, 'Live now');
      const reply = await alice.client.sendToGroup(group.group_id, 'second', { replyTo: first.id });
      // Its preview is read when it arrives: before the edit, so it is the text of now.
      await people.stdout.until((text) => text.includes(` Alice: second\n`));
      const edited = await alice.client.editMessage(first.id, 'first, edited');
      await alice.client.react(first.id, '👍');
      await alice.client.unreact(first.id, '👍');
      await alice.client.deleteMessage(reply.id);
      await alice.client.removeMember(group.group_id, carol.user.id);
      await alice.client.leaveGroup(group.group_id);

      const t = String.raw`\[\d\d:\d\d\] `;
      await people.stdout.until((text) => text.includes('Bob is now the owner'));
      const lines = people.stdout.text.trimEnd().split('\n').slice(1); // after the probe
      const expected = [
        `${t}\\[Live\\] added Carol`,
        `${t}\\[Live\\] renamed to "Live now"`,
        `  ↳ reply to #${first.id} Alice: first`,
        `${t}\\[Live now\\] #${reply.id} Alice: second`,
        `${t}\\[Live now\\] Alice edited #${first.id}: first, edited`,
        `${t}\\[Live now\\] Alice reacted 👍 to #${first.id}`,
        `${t}\\[Live now\\] Alice took back 👍 from #${first.id}`,
        `${t}\\[Live now\\] #${reply.id} was deleted`,
        `${t}\\[Live now\\] Carol left or was removed`,
        `${t}\\[Live now\\] Alice left or was removed; Bob is now the owner`,
      ];
      expect(lines).to.have.lengthOf(expected.length);
      expected.forEach((pattern, i) => expect(lines[i]).to.match(new RegExp(`^${pattern}$`)));

      await json.stdout.until((text) => text.includes(`"owner_id":${bob.user.id}}`));
      const members = { type: 'MembersChanged', chat_id: group.chat_id, group_id: group.group_id };
      const onChat = { chat_id: group.chat_id, message_id: first.id };
      const [shown, ...events] = json.stdout.lines.map(
        (line) => JSON.parse(line) as { type: string },
      );
      expect(shown).to.deep.equal({ type: 'Message', message: probe });
      const strip = (e: { type: string; message?: Message }) =>
        e.message ? { ...e, message: { ...e.message, reactions: [] } } : e;
      expect(events.map(strip)).to.deep.equal([
        { ...members, added: [carol.user.id], removed: [], owner_id: alice.user.id },
        { type: 'ChatUpdated', chat_id: group.chat_id, group_id: group.group_id, name: 'Live now' },
        { type: 'Message', message: reply },
        { type: 'MessageEdited', message: { ...edited, reactions: [] } },
        { type: 'Reaction', ...onChat, emoji: '👍', user_id: alice.user.id, added: true },
        { type: 'Reaction', ...onChat, emoji: '👍', user_id: alice.user.id, added: false },
        { type: 'MessageDeleted', chat_id: group.chat_id, message_id: reply.id },
        { ...members, added: [], removed: [carol.user.id], owner_id: alice.user.id },
        { ...members, added: [], removed: [alice.user.id], owner_id: bob.user.id },
      ]);
    } finally {
      for (const r of readers) r.child.kill('SIGINT');
    }
    for (const r of readers) expect((await r.exited)[0], r.stderr.text).to.equal(0);
  });

  it('when a one-chat watch loses its chat then it says so and exits 4', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const group = await alice.client.createGroup({
      name: 'Brief',
      participantUserIds: [bob.user.id],
    });
    const child = spawnMsgr(['watch', String(group.chat_id)], bob.env);
    const stdout = new StreamReader(child.stdout);
    const stderr = new StreamReader(child.stderr);
    const exited = once(child, 'exit');
    try {
      await stderr.until((text) => text.includes('Connected to'));
      await alice.client.sendToGroup(group.group_id, 'are you there?');
      await stdout.until((text) => text.includes('are you there?'));
      await alice.client.removeMember(group.group_id, bob.user.id);
      const [code] = await exited;
      expect(code, stderr.text).to.equal(4);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stdout.text).to.match(/\] you are no longer a member\n$/);
    expect(stderr.text).to.match(/msgr: .*\(chat_forbidden\)\n$/);
  });

  it('when asking for help then every new command explains itself with examples', async () => {
    const alice = await person('Alice');
    for (const args of [
      ['group', 'add'],
      ['group', 'remove'],
      ['group', 'leave'],
      ['group', 'rename'],
      ['edit'],
      ['delete'],
      ['react'],
      ['search'],
    ]) {
      const help = await alice.run([...args, '--help']);
      expect(help.code, help.stderr).to.equal(0);
      expect(help.stdout, args.join(' ')).to.include('Examples:');
    }
    const del = await alice.run(['delete', '--help']);
    expect(del.stdout.replace(/\s+/g, ' ')).to.include('cannot be undone');
    const send = await alice.run(['send', '--help']);
    expect(send.stdout).to.include('--reply-to <message id>');
  });
});
