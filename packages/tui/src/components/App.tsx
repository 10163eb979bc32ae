// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import type { FileObject, MessengerClient } from '@msgr/sdk';
import { Box } from 'ink';
import os from 'node:os';
import { useMemo, useState } from 'react';
import { useBootstrap } from '../hooks/use-bootstrap.js';
import { useChatRefresh } from '../hooks/use-chat-refresh.js';
import { useCommands } from '../hooks/use-commands.js';
import { useHistory } from '../hooks/use-history.js';
import { useKeys } from '../hooks/use-keys.js';
import { useMarkRead } from '../hooks/use-mark-read.js';
import { useMessageSearch } from '../hooks/use-message-search.js';
import { useNoticeExpiry } from '../hooks/use-notice-expiry.js';
import { useNotifier } from '../hooks/use-notifier.js';
import { usePreviews } from '../hooks/use-previews.js';
import { useScrollFollow } from '../hooks/use-scroll-follow.js';
import { useSession } from '../hooks/use-session.js';
import { useStore } from '../hooks/use-store.js';
import { useSubscription } from '../hooks/use-subscription.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useTypingExpiry } from '../hooks/use-typing-expiry.js';
import { useTypingSender } from '../hooks/use-typing-sender.js';
import { useUserNames } from '../hooks/use-user-names.js';
import { useThreadHistory } from '../hooks/use-thread-history.js';
import { useThreadList } from '../hooks/use-thread-list.js';
import { useThreadRead } from '../hooks/use-thread-read.js';
import { useUserSearch } from '../hooks/use-user-search.js';
import { defaultOpener } from '../files/opener.js';
import type { TuiOptions } from '../options.js';
import { KittyImages } from '../preview/kitty.js';
import { openCompletion } from '../state/mentions.js';
import { isBot, openChat, typingNames, userName } from '../state/selectors.js';
import { threadChat } from '../state/threads.js';
import { chosenFileRows } from '../view/attachment-rows.js';
import { composeBanner } from '../view/banner.js';
import { chatListItems } from '../view/chat-list.js';
import { completionRows } from '../view/completion-rows.js';
import { dialogView } from '../view/dialog-views.js';
import { chatSubtitle, hintFor, typingText } from '../view/hints.js';
import { inputRows } from '../view/input-rows.js';
import { messageRows, paneView, readUpTo, type Row } from '../view/message-rows.js';
import { MAX_INPUT_ROWS, PROMPT_WIDTH, screenLayout } from '../view/screen.js';
import { ChatList } from './ChatList.js';
import { Dialogs } from './Dialogs.js';
import { LoginScreen } from './LoginScreen.js';
import { MessagePane } from './MessagePane.js';
import { StatusBar } from './StatusBar.js';
import { ThreadPane } from './ThreadPane.js';

export interface AppProps {
  options: TuiOptions;
  configFile: string;
  env: NodeJS.ProcessEnv;
  createClient: (hosts: string[]) => MessengerClient;
  /** Raw terminal writes (bell, notifications, screen switches, kitty images). */
  write: (data: string) => void;
  /**
   * The kitty images sent, when previews are drawn with kitty graphics (`runTui` deletes them
   * on the way out); without it the App keeps its own.
   */
  kittyImages?: KittyImages;
}

/** The image files of the rows on screen, each once. */
function imagesOn(rows: Row[]): FileObject[] {
  const files = new Map<string, FileObject>();
  for (const row of rows) if (row.previewFile) files.set(row.previewFile.id, row.previewFile);
  return [...files.values()];
}

/** The whole TUI: one store, the hooks that feed it, and the screen drawn from it. */
export function App({ options, configFile, env, createClient, write, kittyImages }: AppProps) {
  const { isPreviewOn = true, downloadDir, opener = defaultOpener() } = options;
  const { state, stateRef, dispatch } = useStore();
  const [ownImages] = useState(() => new KittyImages());
  const images = options.imageProtocol === 'kitty' ? (kittyImages ?? ownImages) : undefined;
  const kitty = useMemo(() => (images ? { images, write } : undefined), [images, write]);
  const size = useTerminalSize();
  const session = useSession(
    { configFile, hostFlags: options.hostFlags, env, createClient },
    dispatch,
  );
  const client = session.client;
  const isMain = state.phase === 'main';

  const chat = openChat(state);
  const thread = threadChat(state);
  const rootId = state.thread?.rootId;
  // Widths first (the inputs wrap to them), then the rows the inputs and their lines take.
  const draftLayout = screenLayout(
    size.columns,
    size.rows,
    1,
    thread ? { inputRows: 1 } : undefined,
  );
  const textWidth = draftLayout.paneInnerWidth - PROMPT_WIDTH;
  const input = chat ? inputRows(chat.draft, textWidth, MAX_INPUT_ROWS) : [];
  const banner = composeBanner(chat, (id) => userName(state, id), draftLayout.paneInnerWidth);
  const files = chosenFileRows(chat?.files, chat?.upload, draftLayout.paneInnerWidth);
  const chatCompletion = chat && state.focus === 'input' ? openCompletion(state, chat) : undefined;
  const completion = completionRows(chatCompletion, draftLayout.paneInnerWidth);
  const threadInnerWidth = draftLayout.thread?.innerWidth ?? 0;
  const threadInput = thread
    ? inputRows(thread.draft, threadInnerWidth - PROMPT_WIDTH, MAX_INPUT_ROWS)
    : [];
  const threadCompletionOpen =
    thread && chat && state.focus === 'thread' ? openCompletion(state, thread, chat) : undefined;
  const threadCompletion = completionRows(threadCompletionOpen, threadInnerWidth);
  const layout = screenLayout(
    size.columns,
    size.rows,
    Math.max(1, input.length) + (banner ? 1 : 0) + files.length + completion.length,
    thread ? { inputRows: Math.max(1, threadInput.length) + threadCompletion.length } : undefined,
  );
  const isThreadOver = layout.thread !== undefined && !layout.thread.isBeside;
  const previews = isPreviewOn ? state.previews : undefined;
  const meId = state.me?.id;
  const users = state.users;
  const rows = useMemo(
    () =>
      chat
        ? messageRows(chat, {
            meId,
            width: layout.paneInnerWidth,
            nameOf: (id) => userName(stateRef.current, id),
            isBot: (id) => isBot(stateRef.current, id),
            previews,
          })
        : [],
    // Rows change with the messages, the width and the names: not with every key press.
    [
      chat?.messages,
      chat?.pending,
      chat?.dividerBeforeId,
      chat?.hasOlder,
      chat?.hasNewer,
      chat?.isLoading,
      chat?.isLoaded,
      meId,
      users,
      previews,
      layout.paneInnerWidth,
      stateRef,
    ],
  );
  const threadWidth = layout.thread?.innerWidth ?? 0;
  const threadRows = useMemo(
    () =>
      thread && rootId !== undefined
        ? messageRows(thread, {
            meId,
            width: threadWidth,
            nameOf: (id) => userName(stateRef.current, id),
            isBot: (id) => isBot(stateRef.current, id),
            previews,
            threadRootId: rootId,
          })
        : [],
    [
      thread?.messages,
      thread?.pending,
      thread?.hasOlder,
      thread?.isLoading,
      rootId,
      meId,
      users,
      previews,
      threadWidth,
      stateRef,
    ],
  );
  // A highlighted message stays on screen: the pane follows it.
  const followId = state.focus === 'messages' ? chat?.selectedId : undefined;
  const view = paneView(rows, chat?.scroll ?? 0, layout.messageRows, followId);
  const threadView = paneView(threadRows, thread?.scroll ?? 0, layout.thread?.messageRows ?? 1);

  const notify = useNotifier(options.isBellOn, options.desktopNotify, write, options.ringLog);
  useBootstrap(client, isMain && !state.isLoaded, dispatch);
  const subscriptionRef = useSubscription(
    client,
    isMain && state.isLoaded,
    stateRef,
    dispatch,
    notify,
  );
  useChatRefresh(client, state, dispatch);
  useScrollFollow(followId, view.scroll, chat?.scroll ?? 0, dispatch);
  useHistory(client, state, view, dispatch);
  // Under the thread pane (a narrow terminal) the chat's messages are not on screen: not read.
  useMarkRead(client, state, isThreadOver ? undefined : readUpTo(chat, view), dispatch);
  useThreadHistory(client, state, threadView.isAtTop, dispatch);
  useThreadRead(client, state, threadView.newestVisibleId, dispatch);
  useThreadList(client, state.dialog, dispatch);
  useUserSearch(client, state.dialog, dispatch);
  useMessageSearch(client, state.dialog, dispatch);
  useUserNames(client, state, dispatch);
  usePreviews(client, imagesOn(view.visible), state.previews, dispatch, kitty);
  useTypingExpiry(state.typing.length > 0, dispatch);
  useNoticeExpiry(state.notice, dispatch);
  const sendTyping = useTypingSender(subscriptionRef);
  const runCommand = useCommands({
    client,
    stateRef,
    dispatch,
    login: session.login,
    editor: options.editor,
    write,
    kittyImages: images,
    files: { home: env.HOME || os.homedir(), cwd: process.cwd(), downloadDir, opener },
  });
  useKeys(
    stateRef,
    {
      pageRows: layout.messageRows,
      maxScroll: view.maxScroll,
      threadPageRows: layout.thread?.messageRows ?? 0,
      threadMaxScroll: threadView.maxScroll,
    },
    dispatch,
    runCommand,
    sendTyping,
  );

  if (state.phase !== 'main') {
    return state.phase === 'login' ? (
      <LoginScreen
        form={state.login}
        width={layout.width}
        height={layout.height}
        configFile={configFile}
      />
    ) : (
      <Box height={layout.height} />
    );
  }
  const now = Date.now();
  const typing = typingNames(state, chat?.chatId, now);
  const threadPane =
    thread && layout.thread && chat ? (
      <ThreadPane
        chatTitle={chat.title}
        isGroup={chat.kind === 'group'}
        replyCount={thread.messages.find((m) => m.id === rootId)?.thread?.reply_count ?? 0}
        rows={threadView.visible}
        messageRows={layout.thread.messageRows}
        scroll={threadView.scroll}
        width={layout.thread.width}
        height={layout.bodyHeight}
        input={threadInput}
        isInputFocused={state.focus === 'thread'}
        completion={threadCompletion}
      />
    ) : null;
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      {state.dialog ? (
        <Dialogs
          dialog={state.dialog}
          view={dialogView(state)}
          width={layout.width}
          height={layout.bodyHeight}
        />
      ) : (
        <Box flexDirection="row" height={layout.bodyHeight}>
          <ChatList
            items={chatListItems(state, layout.listRows, now)}
            width={layout.listWidth}
            height={layout.bodyHeight}
            isFocused={state.focus === 'list'}
            sort={state.sort}
            isLoaded={state.isLoaded}
          />
          {isThreadOver ? null : (
            <MessagePane
              title={chat?.title}
              subtitle={typingText(typing, chat?.kind) ?? chatSubtitle(chat, now)}
              isTyping={typing.length > 0}
              rows={view.visible}
              messageRows={layout.messageRows}
              scroll={view.scroll}
              width={layout.paneWidth}
              height={layout.bodyHeight}
              input={input}
              isInputFocused={state.focus === 'input' && chat !== undefined}
              selectedId={followId}
              selectedAttachment={chat?.attachmentIndex}
              files={files}
              banner={banner}
              completion={completion}
            />
          )}
          {threadPane}
        </Box>
      )}
      <StatusBar
        connection={state.connection}
        hasConnected={state.hasConnected}
        userName={state.me?.name}
        notice={state.notice}
        hint={hintFor(state, (chatCompletion ?? threadCompletionOpen) !== undefined)}
        width={layout.width}
      />
    </Box>
  );
}
