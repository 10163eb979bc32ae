/** Files in the state and the keys: Ctrl+O's prompt, chosen files, their upload, s/o, previews. */
import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import { intentsFor, type Intent } from '../../src/state/keymap.js';
import type { ChosenFile, State } from '../../src/state/types.js';
import { fileObject } from '../support/fake-client.js';
import { ANN, ME, apply, key, loadedState, message } from '../support/fixtures.js';

const CTX = { pageRows: 10, maxScroll: 100, threadPageRows: 10, threadMaxScroll: 100 };
const press = (state: State, input: string, overrides = {}): Intent[] =>
  intentsFor(state, input, key(overrides), CTX);
const types = (intents: Intent[]) =>
  intents.map((i) => ('action' in i ? i.action.type : i.command.type));
const run = (state: State, input: string, overrides = {}): State =>
  apply(state, ...press(state, input, overrides).flatMap((i) => ('action' in i ? [i.action] : [])));

const PDF = fileObject('f1', 'a.pdf', new Uint8Array(100), { contentType: 'application/pdf' });
const PNG = fileObject('f2', 'b.png', new Uint8Array(50), {
  contentType: 'image/png',
  image: { width: 4, height: 4 },
});
const CHOSEN: ChosenFile = { path: '/tmp/a.pdf', name: 'a.pdf', size: 100 };

/** Ann's chat open, the cursor in its input: Ann 1 (two files), me 2, Ann 3 (none). */
function annOpen(): State {
  const files: Message = { ...message(1, 10, ANN.id, 'files'), attachments: [PDF, PNG] };
  return apply(
    loadedState(),
    { type: 'open', key: 'c10' },
    {
      type: 'historyLoaded',
      key: 'c10',
      messages: [files, message(2, 10, ME.id, 'mine'), message(3, 10, ANN.id, 'none')],
      mode: 'latest',
      limit: 50,
    },
  );
}

describe('tui files: state and keys', () => {
  it('Ctrl+O opens the path prompt for the open chat; Tab completes, Enter chooses, Esc closes', () => {
    expect(types(press(loadedState(), 'o', { ctrl: true }))).to.deep.equal(['notice']);
    const prompt = run(annOpen(), 'o', { ctrl: true });
    expect(prompt.dialog).to.deep.include({ kind: 'attach', key: 'c10', candidates: [] });
    const typed = run(run(prompt, '~/Doc'), 'x');
    expect(typed.dialog?.kind === 'attach' && typed.dialog.path.text).to.equal('~/Docx');
    expect(press(typed, '', { tab: true })).to.deep.equal([{ command: { type: 'completePath' } }]);
    expect(press(typed, '\r', { return: true })).to.deep.equal([
      { command: { type: 'choosePath' } },
    ]);
    expect(types(press(prompt, '\r', { return: true }))).to.deep.equal([]); // nothing typed
    expect(run(typed, '', { escape: true }).dialog).to.equal(undefined);

    // A completion for a path typed since is dropped; one for this path fills it in.
    const stale = apply(typed, {
      type: 'attachCompleted',
      path: '~/Doc',
      text: '~/Documents/',
      candidates: [],
    });
    expect(stale.dialog).to.deep.equal(typed.dialog);
    const done = apply(typed, {
      type: 'attachCompleted',
      path: '~/Docx',
      text: '~/Docx/',
      candidates: ['a', 'b/'],
    });
    expect(done.dialog).to.deep.include({ candidates: ['a', 'b/'] });
    expect(done.dialog?.kind === 'attach' && done.dialog.path).to.deep.equal({
      text: '~/Docx/',
      cursor: 7,
    });

    // While editing a message: files go with new messages only.
    const editing = apply(annOpen(), { type: 'editStart' });
    expect(run(editing, 'o', { ctrl: true }).dialog).to.equal(undefined);
  });

  it('a chosen file waits above the input: Backspace on an empty draft drops the last, Esc drops all', () => {
    // From the list (or a picked message): the cursor goes to the input, where the file waits.
    const prompt = run(apply(annOpen(), { type: 'focus', focus: 'list' }), 'o', { ctrl: true });
    const one = apply(prompt, { type: 'attachAdded', key: 'c10', file: CHOSEN });
    expect(one.dialog).to.equal(undefined);
    expect(one.focus).to.equal('input');
    const two = apply(
      one,
      { type: 'attachAdded', key: 'c10', file: CHOSEN }, // the same file again: once
      { type: 'attachAdded', key: 'c10', file: { ...CHOSEN, path: '/tmp/b', name: 'b' } },
    );
    expect(two.chats.c10!.files!.map((f) => f.name)).to.deep.equal(['a.pdf', 'b']);
    expect(run(two, '', { backspace: true }).chats.c10!.files!.map((f) => f.name)).to.deep.equal([
      'a.pdf',
    ]);
    // With a draft, Backspace edits it; Esc drops the files and keeps the draft.
    const drafted = run(two, 'hi');
    expect(run(drafted, '', { backspace: true }).chats.c10!.files).to.have.length(2);
    const dropped = run(drafted, '', { escape: true });
    expect(dropped.chats.c10).to.deep.include({ files: [] });
    expect(dropped.chats.c10!.draft.text).to.equal('hi');
    expect(dropped.focus).to.equal('input');
    // A reply is cancelled before the files go.
    const replying = apply(drafted, { type: 'replyStart', messageId: 3 });
    expect(types(press(replying, '', { escape: true }))).to.deep.equal(['replyCancel']);
  });

  it('while the files upload the input waits (Esc cancels); the send takes them into the pending message', () => {
    const chosen = apply(annOpen(), { type: 'attachAdded', key: 'c10', file: CHOSEN });
    const going = apply(run(chosen, 'look'), {
      type: 'uploadProgress',
      key: 'c10',
      index: 0,
      sent: 50,
      total: 100,
    });
    expect(going.chats.c10!.upload).to.deep.equal({ index: 0, sent: 50, total: 100 });
    expect(press(going, 'x')).to.deep.equal([]);
    expect(press(going, '\r', { return: true })).to.deep.equal([]);
    expect(press(going, '', { escape: true })).to.deep.equal([
      { command: { type: 'cancelUpload', key: 'c10' } },
    ]);
    expect(run(going, 'o', { ctrl: true }).dialog).to.equal(undefined);
    const cancelled = apply(going, { type: 'uploadStopped', key: 'c10' });
    expect(cancelled.chats.c10!.upload).to.equal(undefined);
    expect(cancelled.chats.c10!.files).to.have.length(1);
    expect(cancelled.notice?.text).to.contain('Upload cancelled');

    const uploaded = apply(
      going,
      { type: 'fileUploaded', key: 'c10', index: 0, file: PDF },
      { type: 'sendStarted', key: 'c10', localId: 1, text: 'look', now: 0, attachments: [PDF] },
    );
    const chat = uploaded.chats.c10!;
    expect(chat).to.deep.include({ files: undefined, upload: undefined });
    expect(chat.pending[0]).to.deep.include({ text: 'look', attachments: [PDF] });
    // Refused for good with an empty draft: the text and the (uploaded) files come back.
    const refused = apply(uploaded, { type: 'sendFailed', key: 'c10', localId: 1, error: 'no' });
    expect(refused.chats.c10!.draft.text).to.equal('look');
    expect(refused.chats.c10!.files).to.deep.equal([
      { path: '', name: 'a.pdf', size: 100, file: PDF },
    ]);
    // Worth a retry: it stays pending with its files, for Ctrl+R.
    const kept = apply(uploaded, {
      type: 'sendFailed',
      key: 'c10',
      localId: 1,
      error: 'busy',
      retryOperationId: 7,
    });
    expect(kept.chats.c10!.pending[0]).to.deep.include({ attachments: [PDF] });
  });

  it('on a picked message: s saves its file, o opens it, ←/→ pick among its files', () => {
    const picked = apply(annOpen(), { type: 'messageSelect', edge: 'first' });
    expect(press(picked, 's')).to.deep.equal([
      { command: { type: 'saveFile', file: PDF, isOpening: false } },
    ]);
    const next = run(picked, '', { rightArrow: true });
    expect(next.chats.c10!.attachmentIndex).to.equal(1);
    expect(press(next, 'o')).to.deep.equal([
      { command: { type: 'saveFile', file: PNG, isOpening: true } },
    ]);
    expect(run(next, '', { rightArrow: true }).chats.c10!.attachmentIndex).to.equal(0); // wraps
    // Another message: its first file again; one without files says so.
    const last = apply(next, { type: 'messageSelect', edge: 'last' });
    expect(last.chats.c10!.attachmentIndex).to.equal(undefined);
    expect(types(press(last, 's'))).to.deep.equal(['notice']);
    expect(press(last, '', { leftArrow: true })).to.deep.equal([]);
    // A deleted message's files are gone with it.
    const gone = apply(picked, { type: 'messageDeleted', chatId: 10, messageId: 1 });
    expect(gone.chats.c10!.messages[0]!.attachments).to.deep.equal([]);
  });

  it('image previews: asked once, then the cells or a failure', () => {
    const asked = apply(loadedState(), { type: 'previewsStarted', fileIds: ['f2'] });
    expect(asked.previews).to.deep.equal({ f2: { status: 'loading' } });
    const cells = [[{ char: '▀', fg: '#ffffff', bg: '#000000' }]];
    const ready = apply(asked, { type: 'previewLoaded', fileId: 'f2', cells });
    expect(ready.previews.f2).to.deep.equal({ status: 'ready', cells });
    expect(apply(ready, { type: 'previewsStarted', fileIds: ['f2'] }).previews.f2).to.deep.equal({
      status: 'ready',
      cells,
    });
    expect(apply(asked, { type: 'previewFailed', fileId: 'f2' }).previews.f2).to.deep.equal({
      status: 'failed',
    });
  });

  it('kitty previews: filed with their image; lost with the terminal’s images (half blocks stay)', () => {
    const kitty = { imageId: 3, columns: 4, rows: 2 };
    const cells = [[{ char: '▀', fg: '#ffffff', bg: '#000000' }]];
    const state = apply(
      loadedState(),
      { type: 'previewsStarted', fileIds: ['k', 'b', 'f', 'l'] },
      { type: 'previewLoaded', fileId: 'k', kitty },
      { type: 'previewLoaded', fileId: 'b', cells },
      { type: 'previewFailed', fileId: 'f' },
    );
    expect(state.previews.k).to.deep.equal({ status: 'ready', kitty });
    // The kitty image goes (it is fetched and sent again); the rest stay as they were.
    expect(apply(state, { type: 'previewsLost' }).previews).to.deep.equal({
      b: { status: 'ready', cells },
      f: { status: 'failed' },
      l: { status: 'loading' },
    });
  });
});
