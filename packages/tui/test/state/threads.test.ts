import type { FollowedThread, Message } from '@msgr/sdk';
import { expect } from 'chai';
import { intentsFor } from '../../src/state/keymap.js';
import { threadChat } from '../../src/state/threads.js';
import type { State } from '../../src/state/types.js';
import { messageRows, paneView, readUpTo } from '../../src/view/message-rows.js';
import { CTX, press } from '../support/keys.js';
import { ANN, BOB, ME, apply, key, live, loadedState, message } from '../support/fixtures.js';

const reply = (id: number, rootId: number, senderId: number, text = `r${id}`): Message => ({
  ...message(id, 20, senderId, text),
  thread_id: rootId,
});

/** A root as the server answers it: with its thread summary. */
const rootWith = (id: number, count: number, lastId: number | null, ...people: number[]) => ({
  ...message(id, 20, BOB.id, `root ${id}`),
  thread:
    count === 0 && lastId === null
      ? null
      : {
          reply_count: count,
          last_reply_at: lastId === null ? null : message(lastId, 20, ANN.id).timestamp,
          last_reply_id: lastId,
          participant_ids: [BOB.id, ...people],
        },
});

/** Team open with its history: root 40 (2 replies: 41, 42), a plain 43. */
function teamWithThread(): State {
  return apply(
    loadedState(),
    { type: 'open', key: 'c20' },
    {
      type: 'historyLoaded',
      key: 'c20',
      messages: [
        rootWith(40, 2, 42, ANN.id),
        reply(41, 40, ANN.id),
        reply(42, 40, ANN.id),
        message(43, 20, BOB.id, 'plain'),
      ],
      mode: 'latest',
      limit: 50,
    },
  );
}

const root = (state: State, id = 40) => state.chats.c20!.messages.find((m) => m.id === id)!;
const events = (state: State, ...list: Parameters<typeof live>[0][]) =>
  apply(state, { type: 'events', now: 0, events: list.map(live) });

const text = (rows: ReturnType<typeof messageRows>) =>
  rows.map((r) => r.segments.map((s) => s.text).join(''));

describe('tui threads', () => {
  it('the chat’s pane shows top-level messages; a root shows 💬 N replies under it', () => {
    const state = teamWithThread();
    const rows = text(
      messageRows(state.chats.c20!, { meId: ME.id, width: 60, nameOf: (id) => `u${id}` }),
    );
    expect(rows.some((r) => r.includes('root 40'))).to.equal(true);
    expect(rows.some((r) => r.includes('r41') || r.includes('r42'))).to.equal(false);
    expect(rows).to.include('      💬 2 replies · last 12:00');
    expect(rows.some((r) => r.includes('plain'))).to.equal(true);
  });

  it('a live reply moves its root’s count (once, however often it comes); a deleted one moves it back', () => {
    let state = events(teamWithThread(), reply(44, 40, BOB.id));
    expect(root(state).thread).to.include({ reply_count: 3, last_reply_id: 44 });
    expect(root(state).thread!.participant_ids).to.deep.equal([BOB.id, ANN.id]);
    // Replayed, or counted by the summary already (id not past its last reply): no change.
    state = events(state, reply(44, 40, BOB.id), reply(42, 40, ANN.id));
    expect(root(state).thread!.reply_count).to.equal(3);
    // A root whose thread starts now.
    state = events(state, reply(45, 43, ME.id));
    expect(root(state, 43).thread).to.deep.include({
      reply_count: 1,
      last_reply_id: 45,
      participant_ids: [BOB.id, ME.id],
    });
    // The newest reply deleted: the count and the last reply move back.
    state = apply(state, {
      type: 'events',
      now: 0,
      events: [{ type: 'MessageDeleted', chat_id: 20, message_id: 44 }],
    });
    expect(root(state).thread).to.include({ reply_count: 2, last_reply_id: 42 });
    state = apply(state, {
      type: 'events',
      now: 0,
      events: [{ type: 'MessageDeleted', chat_id: 20, message_id: 41 }],
    });
    expect(root(state).thread).to.include({ reply_count: 1, last_reply_id: 42 });
    // Deleting it again, or a message not held: nothing moves.
    const again = apply(state, {
      type: 'events',
      now: 0,
      events: [
        { type: 'MessageDeleted', chat_id: 20, message_id: 41 },
        { type: 'MessageDeleted', chat_id: 20, message_id: 7 },
      ],
    });
    expect(root(again).thread!.reply_count).to.equal(1);
  });

  it('a live copy of a root (thread: null) or an edit keeps the summary held', () => {
    let state = events(teamWithThread(), { ...message(40, 20, BOB.id, 'root 40'), thread: null });
    expect(root(state).thread!.reply_count).to.equal(2);
    state = apply(state, {
      type: 'events',
      now: 0,
      events: [
        {
          type: 'MessageEdited',
          message: { ...message(40, 20, BOB.id, 'root, edited'), edited_at: 'x', thread: null },
        },
      ],
    });
    expect(root(state)).to.deep.include({ text: 'root, edited' });
    expect(root(state).thread!.reply_count).to.equal(2);
  });

  it('Ctrl+K on a root, t: the thread pane opens, loads, takes live replies, and replies with Enter', () => {
    let state = apply(teamWithThread(), { type: 'messageSelect', edge: 'last' });
    state = press(state, { upArrow: true }).state; // 43 → 40 (the replies are skipped)
    expect(state.chats.c20!.selectedId).to.equal(40);
    state = press(state, 't').state;
    expect(state.thread).to.include({ key: 'c20', rootId: 40 });
    expect(state.focus).to.equal('thread');
    expect(state.thread!.chat.messages.map((m) => m.id)).to.deep.equal([40]);
    state = apply(state, {
      type: 'threadHistoryLoaded',
      rootId: 40,
      messages: [rootWith(40, 2, 42, ANN.id), reply(41, 40, ANN.id), reply(42, 40, ANN.id)],
      mode: 'latest',
      limit: 100,
    });
    state = events(state, reply(46, 40, ANN.id, 'live one'), message(47, 20, BOB.id, 'top'));
    expect(state.thread!.chat.messages.map((m) => m.id)).to.deep.equal([40, 41, 42, 46]);
    expect(root(state).thread!.reply_count).to.equal(3);
    expect(state.thread!.chat.messages[0]!.thread!.reply_count).to.equal(3);

    // Typing goes to the thread's composer; Enter sends (a command), the chat's draft stays.
    state = apply(state, { type: 'edit', target: 'draft', op: { kind: 'set', text: 'kept' } });
    state = press(state, 'o', 'k').state;
    expect(state.thread!.chat.draft.text).to.equal('ok');
    expect(press(state, { return: true }).commands).to.deep.equal(['send']);
    state = apply(state, {
      type: 'sendStarted',
      key: 'c20',
      localId: 1,
      text: 'ok',
      now: 0,
      threadId: 40,
    });
    expect(state.thread!.chat.draft.text).to.equal('');
    expect(state.chats.c20!.draft.text).to.equal('kept');
    const pane = threadChat(state)!;
    expect(pane.pending.map((p) => p.text)).to.deep.equal(['ok']);
    const mainRows = text(
      messageRows(state.chats.c20!, { meId: ME.id, width: 60, nameOf: (id) => `u${id}` }),
    );
    expect(mainRows.some((r) => r.includes('You: ok'))).to.equal(false);
    state = apply(state, {
      type: 'sendSucceeded',
      key: 'c20',
      localId: 1,
      message: reply(48, 40, ME.id, 'ok'),
    });
    expect(state.thread!.chat.messages.map((m) => m.id)).to.deep.equal([40, 41, 42, 46, 48]);
    expect(root(state).thread!.reply_count).to.equal(4);

    const rows = text(
      messageRows(threadChat(state)!, {
        meId: ME.id,
        width: 50,
        nameOf: (id) => `u${id}`,
        threadRootId: 40,
      }),
    );
    expect(rows[0]).to.include('2025-01-01');
    expect(rows[1]).to.include('root 40');
    expect(rows[2]).to.match(/─ 4 replies ─/);
    expect(rows.slice(3).join('\n')).to.include('u2: live one').and.include('u1: ok');

    // Esc closes it; the input has the keys again.
    state = press(state, { escape: true }).state;
    expect(state.thread).to.equal(undefined);
    expect(state.focus).to.equal('input');
  });

  it('Tab goes between the list and an open thread; another chat closes it; keys of the thread', () => {
    let state = apply(teamWithThread(), { type: 'threadOpen', chatId: 20, rootId: 40 });
    expect(state.thread!.chat.messages.map((m) => m.id)).to.deep.equal([40]); // held: at once
    state = press(state, { tab: true }).state;
    expect(state.focus).to.equal('list');
    state = press(state, { tab: true }).state;
    expect(state.focus).to.equal('thread');
    const paged = press(state, { pageUp: true }).state;
    expect(paged.thread!.chat.scroll).to.equal(9);
    const ctrlO = intentsFor(state, 'o', key({ ctrl: true }), CTX);
    expect(ctrlO).to.have.length(1);
    expect(JSON.stringify(ctrlO)).to.include('A thread takes text replies');
    state = apply(state, { type: 'open', key: 'c10' });
    expect(state.thread).to.equal(undefined);
    expect(state.focus).to.equal('input');
  });

  it('the Threads view: Ctrl+T (or t in the list) opens it, Enter opens the thread beside its chat', () => {
    const thread: FollowedThread = { root: rootWith(40, 2, 42, ANN.id), unread_count: 1 };
    let state = press(loadedState(), 't').state;
    expect(state.dialog).to.include({ kind: 'threads', isLoading: true });
    state = apply(state, { type: 'threadsLoaded', threads: [thread] });
    state = press(state, { return: true }).state;
    expect(state.dialog).to.equal(undefined);
    expect(state.openKey).to.equal('c20');
    expect(state.thread).to.include({ rootId: 40 });
    expect(state.focus).to.equal('thread');
    const viaCtrl = intentsFor(
      apply(loadedState(), { type: 'open', key: 'c10' }),
      't',
      key({ ctrl: true }),
      CTX,
    );
    expect(viaCtrl).to.deep.equal([{ action: { type: 'dialogOpen', kind: 'threads' } }]);
  });

  it('a search result that is a reply opens its chat with the thread', () => {
    const state = apply(teamWithThread(), {
      type: 'openAt',
      chatId: 20,
      messageId: 41,
      threadId: 40,
    });
    expect(state.openKey).to.equal('c20');
    expect(state.thread?.rootId).to.equal(40);
  });

  it('reads up to the newest message held when the pane is at its newest row (replies included)', () => {
    let state = teamWithThread();
    state = events(state, reply(50, 40, ANN.id));
    const chat = state.chats.c20!;
    const rows = messageRows(chat, { meId: ME.id, width: 60, nameOf: (id) => `u${id}` });
    const atBottom = paneView(rows, 0, 30);
    expect(atBottom.newestVisibleId).to.equal(43);
    expect(readUpTo(chat, atBottom)).to.equal(50);
    const scrolled = paneView(rows, 3, 3);
    expect(readUpTo(chat, scrolled)).to.equal(scrolled.newestVisibleId);
  });
});
