import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import {
  matchScore,
  mentionCandidates,
  mentionedIds,
  mentionQuery,
  mentionsToSend,
  namesMe,
  openCompletion,
} from '../../src/state/mentions.js';
import type { State } from '../../src/state/types.js';
import { messageRows, MENTION_COLOR } from '../../src/view/message-rows.js';
import { press } from '../support/keys.js';
import { ANN, BOB, ME, apply, loadedState, message } from '../support/fixtures.js';

const CAT = { id: 4, email: 'cat@zoo.org', name: 'Catherine Test', is_bot: false };

/** The group Team (Me, Ann, Bob, Cat) open, its input focused. */
function teamOpen(): State {
  const base = loadedState();
  const withCat: State = {
    ...base,
    users: { ...base.users, [ANN.id]: ANN, [BOB.id]: BOB, [CAT.id]: CAT },
    chats: {
      ...base.chats,
      c20: { ...base.chats.c20!, memberIds: [ME.id, ANN.id, BOB.id, CAT.id] },
    },
  };
  return apply(withCat, { type: 'open', key: 'c20' });
}

const type = (state: State, text: string) => press(state, ...Array.from(text)).state;
const draftOf = (state: State) => state.chats[state.openKey!]!.draft;

describe('tui mentions', () => {
  it('finds the @word the cursor is at the end of, not an email', () => {
    expect(mentionQuery({ text: 'hi @an', cursor: 6 })).to.deep.equal({ start: 3, query: 'an' });
    expect(mentionQuery({ text: '@', cursor: 1 })).to.deep.equal({ start: 0, query: '' });
    expect(mentionQuery({ text: 'mail ann@zoo.org', cursor: 16 })).to.equal(undefined);
    expect(mentionQuery({ text: '@ann hi', cursor: 7 })).to.equal(undefined);
    expect(mentionQuery({ text: '(@bo', cursor: 4 })).to.deep.equal({ start: 1, query: 'bo' });
  });

  it('matches people fuzzily by name or email, the best first; me never; @all in groups only', () => {
    expect(matchScore('ann', 'Ann', 'ann@test.com')).to.equal(0);
    expect(matchScore('te', 'Catherine Test', 'cat@zoo.org')).to.equal(1);
    expect(matchScore('zoo', 'Catherine Test', 'cat@zoo.org')).to.equal(4);
    expect(matchScore('cte', 'Catherine Test', 'cat@zoo.org')).to.equal(5);
    expect(matchScore('xyz', 'Ann', 'ann@test.com')).to.equal(undefined);
    const state = teamOpen();
    const team = state.chats.c20!;
    const names = (q: string) =>
      mentionCandidates(state, team, q).map((c) => (c.kind === 'user' ? c.name : `@${c.token}`));
    expect(names('')).to.deep.equal(['Ann', 'Bob', 'Catherine Test', '@all', '@everyone']);
    expect(names('b')).to.deep.equal(['Bob']);
    expect(names('zoo')).to.deep.equal(['Catherine Test']);
    // Inside a name before inside an email; @everyone last.
    expect(names('e')).to.deep.equal(['Catherine Test', 'Ann', 'Bob', '@everyone']);
    expect(names('al')).to.deep.equal(['@all']);
    expect(names('me')).to.deep.equal([]); // my own name is not offered
    const direct = apply(state, { type: 'open', key: 'c10' }).chats.c10!;
    expect(mentionCandidates(state, direct, '').map((c) => c.kind)).to.deep.equal(['user']);
  });

  it('@, a few letters, Tab inserts “@Name ” and records the id; the send carries it', () => {
    let state = type(teamOpen(), 'hi @ca');
    const open = openCompletion(state, state.chats.c20!);
    expect(open?.candidates.map((c) => c.kind === 'user' && c.name)).to.deep.equal([
      'Catherine Test',
    ]);
    state = press(state, { tab: true }).state;
    expect(draftOf(state)).to.deep.equal({ text: 'hi @Catherine Test ', cursor: 19 });
    expect(state.chats.c20!.mentions).to.deep.equal([{ userId: CAT.id, name: 'Catherine Test' }]);
    expect(state.focus).to.equal('input'); // Tab went to the completion, not to the list
    state = type(state, 'look');
    const { commands } = press(state, { return: true });
    expect(commands).to.deep.equal(['send']);
    expect(mentionsToSend(state.chats.c20!, draftOf(state).text)).to.deep.equal({
      mentions: [{ userId: CAT.id, name: 'Catherine Test' }],
      mentionAll: false,
    });
  });

  it('Enter inserts while the completion is open (then sends); ↑/↓ move it; Esc closes it for that @', () => {
    let state = type(teamOpen(), '@');
    expect(openCompletion(state, state.chats.c20!)?.index).to.equal(0);
    state = press(state, { downArrow: true }).state;
    state = press(state, { downArrow: true }).state;
    expect(openCompletion(state, state.chats.c20!)?.index).to.equal(2);
    state = press(state, { upArrow: true }).state;
    const chose = press(state, { return: true });
    expect(chose.commands).to.deep.equal([]);
    expect(draftOf(chose.state).text).to.equal('@Bob ');
    expect(press(chose.state, { return: true }).commands).to.deep.equal(['send']);

    // Esc: closed for this @ while typing on; another @ opens it again.
    let typed = type(teamOpen(), 'mail @a');
    typed = press(typed, { escape: true }).state;
    expect(openCompletion(typed, typed.chats.c20!)).to.equal(undefined);
    expect(typed.focus).to.equal('input'); // the Esc was the completion's
    typed = type(typed, 'n');
    expect(openCompletion(typed, typed.chats.c20!)).to.equal(undefined);
    expect(press(typed, { return: true }).commands).to.deep.equal(['send']);
    typed = type(typed, ' @b');
    expect(openCompletion(typed, typed.chats.c20!)?.candidates).to.have.length(1);
  });

  it('editing the @Name away drops the id; only picked people count; @all / @everyone name everyone', () => {
    let state = press(type(teamOpen(), '@an'), { tab: true }).state;
    state = type(state, 'and @b');
    state = press(state, { tab: true }).state;
    expect(draftOf(state).text).to.equal('@Ann and @Bob ');
    expect(state.chats.c20!.mentions!.map((m) => m.userId)).to.deep.equal([ANN.id, BOB.id]);
    // Backspace into Bob's name: he is no longer named.
    state = press(state, { backspace: true }, { backspace: true }).state;
    expect(draftOf(state).text).to.equal('@Ann and @Bo');
    expect(state.chats.c20!.mentions!.map((m) => m.userId)).to.deep.equal([ANN.id]);
    // Typed by hand, a name is text: only the completion names someone.
    state = apply(state, { type: 'edit', target: 'draft', op: { kind: 'set', text: '@Bob hi' } });
    expect(mentionsToSend(state.chats.c20!, draftOf(state).text).mentions).to.deep.equal([]);
    expect(mentionsToSend(state.chats.c20!, 'hey @all!').mentionAll).to.equal(true);
    expect(mentionsToSend(state.chats.c20!, 'hey @Everyone').mentionAll).to.equal(true);
    expect(mentionsToSend(state.chats.c20!, 'mail all@zoo.org').mentionAll).to.equal(false);
    expect(mentionsToSend({ kind: 'direct' }, 'hey @all').mentionAll).to.equal(false);
  });

  it('a name inside a longer one is not named twice: @Ann Lee is Ann Lee’s', () => {
    const mentions = [
      { userId: 2, name: 'Ann' },
      { userId: 5, name: 'Ann Lee' },
    ];
    expect(mentionedIds('hi @Ann Lee', mentions)).to.deep.equal([5]);
    expect(mentionedIds('hi @Ann Lee and @Ann.', mentions)).to.deep.equal([5, 2]);
    expect(mentionedIds('hi @Anna', mentions)).to.deep.equal([]);
  });

  it('a send gives the draft its mentions back when refused; an edit starts from the message’s', () => {
    let state = press(type(teamOpen(), '@bo'), { tab: true }).state;
    const mentions = state.chats.c20!.mentions;
    state = apply(
      state,
      { type: 'sendStarted', key: 'c20', localId: 1, text: '@Bob ', now: 0, mentions },
      { type: 'sendFailed', key: 'c20', localId: 1, error: 'refused' },
    );
    expect(draftOf(state).text).to.equal('@Bob ');
    expect(state.chats.c20!.mentions).to.deep.equal(mentions);

    const mine: Message = { ...message(30, 20, ME.id, 'ping @Ann'), mentions: [ANN.id] };
    state = apply(teamOpen(), {
      type: 'historyLoaded',
      key: 'c20',
      messages: [mine],
      mode: 'latest',
      limit: 50,
    });
    state = apply(state, { type: 'editStart', messageId: 30 });
    expect(state.chats.c20!.mentions).to.deep.equal([{ userId: ANN.id, name: 'Ann' }]);
    state = apply(state, { type: 'editCancel' });
    expect(state.chats.c20!.mentions).to.equal(undefined);
  });

  it('highlights the messages that name me: my id in mentions, or everyone by someone else', () => {
    const plain = message(1, 20, ANN.id, 'hello');
    const named = { ...message(2, 20, ANN.id, 'hi @Me'), mentions: [ME.id] };
    const all = { ...message(3, 20, ANN.id, 'hi @all'), mention_all: true };
    const mineAll = { ...message(4, 20, ME.id, 'hi @all'), mention_all: true };
    const other = { ...message(5, 20, ANN.id, 'hi @Bob'), mentions: [BOB.id] };
    const gone = { ...named, id: 6, deleted: true };
    expect([plain, named, all, mineAll, other, gone].map((m) => namesMe(m, ME.id))).to.deep.equal([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    const chat = {
      ...loadedState().chats.c20!,
      messages: [plain, named],
      isLoaded: true,
    };
    const rows = messageRows(chat, { meId: ME.id, width: 60, nameOf: (id) => `u${id}` });
    const colour = (id: number) =>
      rows.filter((r) => r.messageId === id).flatMap((r) => r.segments.map((s) => s.color));
    expect(colour(1)).to.not.include(MENTION_COLOR);
    expect(colour(2)).to.include(MENTION_COLOR);
  });

  it('hostile names are offered and inserted safe', () => {
    const base = teamOpen();
    const state: State = {
      ...base,
      users: { ...base.users, [BOB.id]: { ...BOB, name: 'Bo\u001b]0;x\u0007b' } },
    };
    const typed = press(type(state, '@bo'), { tab: true }).state;
    expect(draftOf(typed).text).to.not.match(/[\u0007\u001b]/); // eslint-disable-line no-control-regex
  });
});
