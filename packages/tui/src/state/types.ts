/**
 * The TUI's whole state and the actions that change it. Everything here is plain data: the
 * reducer is a pure function of (state, action), so event sequences are testable without a
 * terminal or a server. Past 500 lines on purpose: declarations only, the state and the one
 * `Action` union every part of the reducer narrows (split, the union would be assembled from
 * pieces spread over files).
 */
import type {
  ChatSummary,
  ConnectionState,
  FileObject,
  FollowedThread,
  Group,
  Message,
  NotifyLevel,
  ReactionCount,
  SubscriptionEvent,
  User,
} from '@msgr/sdk';

/** An editable line (or lines) of text with a cursor, as a code-unit offset into `text`. */
export interface Field {
  text: string;
  cursor: number;
}

/** A message of ours on its way to the server (the server never echoes it back to this device). */
export interface PendingMessage {
  localId: number;
  text: string;
  timestamp: string;
  error?: string;
  /** Failed, but worth a retry (Ctrl+R) with this operation id: no second message can result. */
  retryOperationId?: number;
  /** The message this one answers. */
  replyTo?: number;
  /** Uploaded files it carries (sent again with them on Ctrl+R). */
  attachments?: FileObject[];
  /** Whom it names (sent again with them on Ctrl+R: they are part of what its id is bound to). */
  mentions?: DraftMention[];
  mentionAll?: boolean;
  /** A reply in this thread (shown in the thread pane, not the chat's). */
  threadId?: number;
}

/**
 * Someone picked from the `@` completion into a draft: the message names them while `@name`
 * is still in its text (editing the name away drops them).
 */
export interface DraftMention {
  userId: number;
  /** As inserted after the `@` (made safe: one line, no controls). */
  name: string;
}

/** The `@` completion of a composer: which candidate is highlighted, and whether Esc closed it. */
export interface Completion {
  index: number;
  /** Esc closed the completion of the `@` at this offset (it opens again for another `@`). */
  dismissedAt?: number;
}

/** A chat's notification level as the server keeps it (`GET /chats`, `NotificationsChanged`). */
export interface ChatNotifyLevel {
  level: NotifyLevel;
  /** When `level` lapses back to `all` by itself (ISO time); null: it holds until changed. */
  mutedUntil: string | null;
}

/** A file on this machine chosen (Ctrl+O) to go with the next message of a chat. */
export interface ChosenFile {
  /** Absolute. */
  path: string;
  /** Its base name (from this machine, still shown safe: a file name may hold anything). */
  name: string;
  size: number;
  /** Uploaded already (an earlier try got this far, or a refused send gave it back). */
  file?: FileObject;
}

/** The chosen files of a chat on their way up; the message goes once they all are there. */
export interface UploadProgress {
  /** The file going now: an index into the chat's `files`. */
  index: number;
  sent: number;
  total: number;
}

/** One terminal cell of an image preview: a half block with its two colours (`#rrggbb`). */
export interface PreviewCell {
  /** `▀` (top pixel in `fg`, bottom in `bg`), `▄` (only the bottom shows) or a space. */
  char: string;
  fg?: string;
  bg?: string;
}

/**
 * An image sent to a kitty-graphics terminal (`src/preview/kitty.ts`) and shown by placeholder
 * cells: image `imageId`'s virtual placement of `columns` by `rows` cells.
 */
export interface KittyPicture {
  imageId: number;
  columns: number;
  rows: number;
}

/** A loaded preview: its half-block cells (rows of them), or the kitty image sent for it. */
export type PreviewPicture =
  { cells: PreviewCell[][]; kitty?: never } | { kitty: KittyPicture; cells?: never };

/** An image attachment's preview: being fetched, its picture, or none to show. */
export type Preview =
  { status: 'loading' } | ({ status: 'ready' } & PreviewPicture) | { status: 'failed' };

/** Our message being edited in the input line (the draft that was there waits aside). */
export interface Editing {
  messageId: number;
  savedDraft: Field;
  /** The reply being composed before the edit began, back with the draft. */
  savedReplyTo?: number;
  /** The draft's mentions, back with it. */
  savedMentions?: DraftMention[];
  isSaving: boolean;
}

export interface ChatState {
  /** `c<chat id>`, or `u<user id>` for a direct chat that exists only here until its first message. */
  key: string;
  chatId?: number;
  kind: 'direct' | 'group';
  title: string;
  groupId?: number;
  /** Groups: who may add, remove and rename. */
  ownerId?: number;
  peerUserId?: number;
  memberIds: number[];
  lastMessage?: Message;
  unread: number;
  /** Unread messages that name me (or everyone), as `GET /chats` counts them. */
  unreadMentions: number;
  /** What rings (`all`, `mentions`, `none`), as the server keeps it for every device of mine. */
  notify: ChatNotifyLevel;
  /**
   * Loaded messages, ascending by id: thread replies too (the chat's unread count and read
   * pointer cover them), though the pane shows only the top-level ones.
   */
  messages: Message[];
  pending: PendingMessage[];
  isLoaded: boolean;
  isLoading: boolean;
  hasOlder: boolean;
  /**
   * Newer messages than the loaded ones exist (a jump to a found message loaded a window in the
   * middle): live messages are not appended until the pages in between have loaded.
   */
  hasNewer: boolean;
  /** Load the history around this message (a search result), then highlight it. */
  jumpTo?: number;
  /** The message highlighted in the pane while the focus is on the messages. */
  selectedId?: number;
  /** The reaction picker is open over the selected message, at this emoji. */
  pickerIndex?: number;
  /** Which file of the selected message `s` saves and `o` opens (default: the first). */
  attachmentIndex?: number;
  /** Files chosen for the next message (none: undefined or empty). */
  files?: ChosenFile[];
  /** The chosen files are uploading (Enter was pressed); Esc cancels. */
  upload?: UploadProgress;
  /** Composing a reply to this message. */
  replyTo?: number;
  editing?: Editing;
  /** The last history load failed (not retried until the chat is opened again). */
  loadError?: string;
  /**
   * My read pointer as far as this client knows (0: unknown): moved by my own reads here and by
   * `ReadMarker` events (my reads on another device).
   */
  readPointer: number;
  /** My messages up to this id are read by every other member (from `Read` events). */
  readByAllUpTo: number;
  /** Where the "new messages" divider goes while the chat is open. */
  dividerBeforeId?: number;
  /** Unread messages when the chat was opened: the divider is placed (again) from it as pages load. */
  unreadAtOpen: number;
  /** Rows scrolled up from the newest message (0: following the tail). */
  scroll: number;
  draft: Field;
  /** The people picked into the draft with `@` (see `DraftMention`). */
  mentions?: DraftMention[];
  /** The draft's `@` completion, while one is open. */
  completion?: Completion;
  /** Known only from a live event; the chat list is refreshed to learn its title. */
  isPlaceholder?: boolean;
}

/**
 * The thread pane: one thread of the open chat, its root and replies held as a chat of their
 * own (so the message rows, edits, deletes and reactions apply to it unchanged), with the
 * composer its replies are typed in. Its unsent replies are the chat's pending ones with this
 * `threadId`.
 */
export interface ThreadPane {
  /** The chat it is in. */
  key: string;
  rootId: number;
  /** Root and replies (`history(chatId, { threadId })`), draft, mentions, scroll. */
  chat: ChatState;
  /** The newest reply reported read (`markThreadRead`); 0: none yet. */
  readUpTo: number;
}

/**
 * `messages`: a message of the open chat is highlighted, to edit, delete, reply or react;
 * `thread`: the thread pane's composer.
 */
export type Focus = 'list' | 'input' | 'messages' | 'thread';
/** Which composer an action is about: the open chat's input line, or the thread pane's. */
export type Composer = 'chat' | 'thread';
export type SortMode = 'recent' | 'unread';
export type LoginFieldName = 'email' | 'password' | 'hosts';
export type GroupFieldName = 'name' | 'members' | 'create';
export type MembersMode = 'list' | 'add' | 'rename';

/** What a confirmation dialog does when the answer is yes. */
export type ConfirmedCommand =
  | { type: 'deleteMessage'; key: string; messageId: number }
  | { type: 'leaveGroup'; key: string }
  | { type: 'removeMember'; key: string; userId: number };

export interface LoginForm {
  email: Field;
  password: Field;
  hosts: Field;
  field: LoginFieldName;
  error?: string;
  isBusy: boolean;
}

export type Dialog =
  | { kind: 'help' }
  | {
      /** Ctrl+O: a path to attach to the next message of chat `key`; Tab completes it. */
      kind: 'attach';
      key: string;
      path: Field;
      /** What the last Tab found (names in the path's folder; folders end with `/`). */
      candidates: string[];
      isBusy: boolean;
      error?: string;
    }
  | { kind: 'direct'; query: Field; results: User[]; index: number }
  | {
      kind: 'group';
      name: Field;
      query: Field;
      results: User[];
      index: number;
      members: User[];
      field: GroupFieldName;
      error?: string;
      isBusy: boolean;
    }
  | {
      kind: 'search';
      query: Field;
      /** Newest first. */
      results: Message[];
      index: number;
      /** The query the results answer (results of an older query are dropped). */
      resultsFor: string;
      isLoading: boolean;
      hasMore: boolean;
      error?: string;
    }
  | {
      /** A group's members: who is in, who owns; the owner adds, removes and renames. */
      kind: 'members';
      key: string;
      mode: MembersMode;
      memberIndex: number;
      /** Adding: the user search (`results`, `index` as in the new-group dialog). */
      query: Field;
      results: User[];
      index: number;
      /** Renaming: the new name. */
      name: Field;
      isBusy: boolean;
      error?: string;
    }
  | {
      /** Followed threads with unread replies (`unreadThreads()`); Enter opens one. */
      kind: 'threads';
      results: FollowedThread[];
      index: number;
      isLoading: boolean;
      error?: string;
    }
  | {
      kind: 'confirm';
      title: string;
      /** Untrusted parts (names, a message preview) are shown safe. */
      question: string;
      yes: string;
      command: ConfirmedCommand;
      /** The dialog to go back to afterwards (the members panel), if any. */
      back?: Dialog;
      isBusy: boolean;
      error?: string;
    };

/** What the `@` completion offers: a member of the chat, or everyone (`@all`, `@everyone`). */
export type MentionCandidate =
  | { kind: 'user'; userId: number; name: string; email?: string }
  | { kind: 'all'; token: 'all' | 'everyone' };

export interface TypingEntry {
  chatId: number;
  userId: number;
  until: number;
}

export interface Notice {
  text: string;
  isError: boolean;
}

export interface State {
  phase: 'starting' | 'login' | 'main';
  login: LoginForm;
  /** True once the chat list and `me` have loaded. */
  isLoaded: boolean;
  me?: User;
  /** Users known by name (besides direct-chat peers): from searches and lookups by id. */
  users: Record<number, User>;
  chats: Record<string, ChatState>;
  /** Chat keys, most recent activity first. */
  order: string[];
  sort: SortMode;
  selectedKey?: string;
  openKey?: string;
  focus: Focus;
  dialog?: Dialog;
  connection: ConnectionState;
  /** The subscription was open at least once (so a drop reads "reconnecting"). */
  hasConnected: boolean;
  typing: TypingEntry[];
  notice?: Notice;
  /**
   * Where the subscription starts in the server's log: the position of now, taken just before
   * the chat list loaded (so what changes meanwhile is replayed, and nothing older).
   */
  position?: string;
  /**
   * How many times the chat list was found out of date: a chat known only by id (someone wrote
   * first, a group I was added to), an unread count the held messages cannot settle, an expired
   * position. Each new count has the list read again once (`useChatRefresh`).
   */
  listReloads: number;
  /** Image previews by file id (fetched for the image attachments on screen). */
  previews: Record<string, Preview>;
  /** The thread pane, while one is open (it belongs to the open chat). */
  thread?: ThreadPane;
}

/** Which text field an edit goes to. */
export type EditTarget =
  | 'draft'
  | 'thread.draft'
  | 'login.email'
  | 'login.password'
  | 'login.hosts'
  | 'dialog.query'
  | 'dialog.name'
  | 'dialog.path';

export type EditOp =
  | { kind: 'insert'; text: string }
  | { kind: 'backspace' }
  | { kind: 'deleteWord' }
  | { kind: 'left' }
  | { kind: 'right' }
  | { kind: 'home' }
  | { kind: 'end' }
  | { kind: 'clear' }
  | { kind: 'set'; text: string };

export type Action =
  | { type: 'loginNeeded'; hosts: string[]; email?: string; error?: string }
  | { type: 'loginField'; field?: LoginFieldName; delta?: number }
  | { type: 'loginStarted' }
  | { type: 'loginFailed'; error: string }
  | { type: 'sessionReady'; hosts: string[]; email?: string }
  | { type: 'sessionExpired'; error: string }
  /** `position`: where the subscription starts (taken before the chat list was read). */
  | { type: 'loaded'; me: User; chats: ChatSummary[]; position?: string }
  | { type: 'chatsRefreshed'; chats: ChatSummary[] }
  /** Users learned from a search or a lookup by id: their names replace `user #id`. */
  | { type: 'usersSeen'; users: User[] }
  | { type: 'events'; events: SubscriptionEvent[]; now: number }
  | { type: 'historyStarted'; key: string }
  | {
      type: 'historyLoaded';
      key: string;
      messages: Message[];
      /** `newer`: the page after the newest loaded message (the tail of a jump's window). */
      mode: 'latest' | 'older' | 'newer';
      limit: number;
    }
  /** The pages before and after a found message (`jumpTo`): they replace what was loaded. */
  | {
      type: 'historyAround';
      key: string;
      messageId: number;
      older: Message[];
      newer: Message[];
      limit: number;
    }
  | { type: 'historyFailed'; key: string; error: string }
  | { type: 'select'; delta: number }
  | { type: 'open'; key: string }
  | { type: 'openNextUnread' }
  | { type: 'focus'; focus: Focus }
  | { type: 'toggleFocus' }
  | { type: 'toggleSort' }
  /** `pane`: the thread pane's rows rather than the chat's. */
  | { type: 'scroll'; delta: number; max: number; pane?: Composer }
  | { type: 'edit'; target: EditTarget; op: EditOp }
  | {
      type: 'sendStarted';
      key: string;
      localId: number;
      text: string;
      now: number;
      replyTo?: number;
      /** The chosen files, uploaded: they go with the message (and leave the composer). */
      attachments?: FileObject[];
      mentions?: DraftMention[];
      mentionAll?: boolean;
      /** A reply typed in the thread pane: its composer empties, the chat's stays. */
      threadId?: number;
    }
  | { type: 'sendSucceeded'; key: string; localId: number; message: Message }
  /** `error` is the status bar's line; `retryOperationId` keeps the message for Ctrl+R. */
  | { type: 'sendFailed'; key: string; localId: number; error: string; retryOperationId?: number }
  /** Ctrl+R: a failed message is on its way again. */
  | { type: 'sendRetried'; key: string; localId: number }
  | { type: 'markedRead'; chatId: number; messageId: number }
  /** The pane followed its highlighted message: the scroll that shows it. */
  | { type: 'scrollTo'; scroll: number }
  /** Highlight a message of the open chat (focus `messages`): by steps, or the first/last. */
  | { type: 'messageSelect'; delta?: number; edge?: 'first' | 'last' }
  /** Edit `messageId`, or (none given) my last message; the draft waits aside meanwhile. */
  | { type: 'editStart'; messageId?: number }
  | { type: 'editCancel' }
  | { type: 'editSaving' }
  | { type: 'editFailed'; key: string; error: string }
  /** A message's new state: the answer to my edit. */
  | { type: 'messageEdited'; message: Message }
  /** My delete went through: the message is a tombstone now. */
  | { type: 'messageDeleted'; chatId: number; messageId: number }
  | { type: 'replyStart'; messageId: number }
  | { type: 'replyCancel' }
  | { type: 'pickerOpen' }
  | { type: 'pickerMove'; delta: number }
  | { type: 'pickerClose' }
  /** The answer to my react/unreact: the message's counts as the server has them. */
  | { type: 'reactionsSet'; chatId: number; messageId: number; reactions: ReactionCount[] }
  /** Open the chat at a message (a search result): its history around it loads, highlighted. */
  | { type: 'openAt'; chatId: number; messageId: number; threadId?: number | null }
  | { type: 'searchStarted'; query: string }
  | { type: 'searchResults'; query: string; messages: Message[]; isMore: boolean; limit: number }
  | { type: 'searchFailed'; query: string; error: string }
  /** The members panel of chat `key` (a group). */
  | { type: 'membersOpen'; key: string }
  | { type: 'membersMode'; mode: MembersMode }
  | { type: 'membersMove'; delta: number }
  | { type: 'membersBusy' }
  | { type: 'membersFailed'; error: string }
  /** A group as the server answered (add, rename): members, name, owner. */
  | { type: 'groupUpdated'; group: Group }
  | { type: 'memberRemoved'; chatId: number; userId: number }
  /** I left the group: it goes from the list. */
  | { type: 'groupLeft'; chatId: number }
  /**
   * A call about group chat `key` answered "not a member": I was removed (and missed the
   * event); it goes from the list as if the event had come.
   */
  | { type: 'membershipLost'; key: string }
  | { type: 'confirmOpen'; title: string; question: string; yes: string; command: ConfirmedCommand }
  | { type: 'confirmBusy' }
  | { type: 'confirmFailed'; error: string }
  /** The confirmed command is done: back to the dialog it came from, or none. */
  | { type: 'confirmDone' }
  | { type: 'dialogOpen'; kind: 'help' | 'direct' | 'group' | 'search' | 'threads' }
  | { type: 'dialogClose' }
  | { type: 'dialogMove'; delta: number }
  | { type: 'dialogResults'; query: string; users: User[] }
  | { type: 'dialogField'; field?: GroupFieldName; delta?: number }
  | { type: 'groupToggleMember' }
  | { type: 'groupStarted' }
  | { type: 'groupFailed'; error: string }
  | { type: 'groupCreated'; group: Group }
  | { type: 'startDirect'; user: User }
  | { type: 'typingExpired'; now: number }
  /** Ctrl+O: the path prompt for the open chat. */
  | { type: 'attachOpen' }
  /** Tab in the path prompt: the completed path (when it grew) and what else matches. */
  | { type: 'attachCompleted'; path: string; text?: string; candidates: string[] }
  | { type: 'attachBusy' }
  | { type: 'attachFailed'; error: string }
  /** A file chosen: it joins the chat's files and the prompt closes. */
  | { type: 'attachAdded'; key: string; file: ChosenFile }
  /** Drops the last chosen file of the open chat, or all of them. */
  | { type: 'filesDropped'; which: 'last' | 'all' }
  /** How far the upload of chosen file `index` of chat `key` is (its start: `sent` 0). */
  | { type: 'uploadProgress'; key: string; index: number; sent: number; total: number }
  | { type: 'fileUploaded'; key: string; index: number; file: FileObject }
  /** The upload stopped before the send (cancelled: no error; else what went wrong). */
  | { type: 'uploadStopped'; key: string; error?: string }
  /** ←/→ on a picked message: its next or previous file. */
  | { type: 'attachmentMove'; delta: number }
  | { type: 'previewsStarted'; fileIds: string[] }
  | ({ type: 'previewLoaded'; fileId: string } & PreviewPicture)
  /** The terminal dropped its kitty images (the alternate screen was left): fetch them again. */
  | { type: 'previewsLost' }
  | { type: 'previewFailed'; fileId: string }
  /** The `@` completion of a composer: move its highlight, insert a candidate, close it. */
  | { type: 'mentionMove'; composer: Composer; delta: number }
  | { type: 'mentionChoose'; composer: Composer; candidate: MentionCandidate }
  | { type: 'mentionDismiss'; composer: Composer }
  /** My level in chat `chatId` (my key press, the server's answer to it, or a revert). */
  | { type: 'notifySet'; chatId: number; level: NotifyLevel; mutedUntil: string | null }
  /** Open the thread of `rootId` in chat `chatId` (its root, when held, shows at once). */
  | { type: 'threadOpen'; chatId: number; rootId: number; root?: Message }
  | { type: 'threadClose' }
  | { type: 'threadHistoryStarted'; rootId: number }
  | {
      type: 'threadHistoryLoaded';
      rootId: number;
      messages: Message[];
      mode: 'latest' | 'older';
      limit: number;
    }
  | { type: 'threadHistoryFailed'; rootId: number; error: string }
  /** The thread's read pointer moved to `messageId` (`markThreadRead`). */
  | { type: 'threadMarkedRead'; rootId: number; messageId: number }
  | { type: 'threadsLoaded'; threads: FollowedThread[] }
  | { type: 'threadsFailed'; error: string }
  | { type: 'notice'; text: string; isError?: boolean }
  | { type: 'dismissNotice' };
