/**
 * The TUI's whole state and the actions that change it. Everything here is plain data: the
 * reducer is a pure function of (state, action), so event sequences are testable without a
 * terminal or a server.
 */
import type {
  ChatSummary,
  ConnectionState,
  Group,
  Message,
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
}

export interface ChatState {
  /** `c<chat id>`, or `u<user id>` for a direct chat that exists only here until its first message. */
  key: string;
  chatId?: number;
  kind: 'direct' | 'group';
  title: string;
  groupId?: number;
  peerUserId?: number;
  memberIds: number[];
  lastMessage?: Message;
  unread: number;
  /** Loaded messages, ascending by id. */
  messages: Message[];
  pending: PendingMessage[];
  isLoaded: boolean;
  isLoading: boolean;
  hasOlder: boolean;
  /** The last history load failed (not retried until the chat is opened again). */
  loadError?: string;
  /** My read pointer as far as this client knows (0: unknown). */
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
  /** Known only from a live event; the chat list is refreshed to learn its title. */
  isPlaceholder?: boolean;
}

export type Focus = 'list' | 'input';
export type SortMode = 'recent' | 'unread';
export type LoginFieldName = 'email' | 'password' | 'hosts';
export type GroupFieldName = 'name' | 'members' | 'create';

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
    };

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
}

/** Which text field an edit goes to. */
export type EditTarget =
  'draft' | 'login.email' | 'login.password' | 'login.hosts' | 'dialog.query' | 'dialog.name';

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
  | { type: 'loaded'; me: User; chats: ChatSummary[] }
  | { type: 'chatsRefreshed'; chats: ChatSummary[] }
  /** Users learned from a search or a lookup by id: their names replace `user #id`. */
  | { type: 'usersSeen'; users: User[] }
  | { type: 'events'; events: SubscriptionEvent[]; now: number }
  | { type: 'historyStarted'; key: string }
  | {
      type: 'historyLoaded';
      key: string;
      messages: Message[];
      mode: 'latest' | 'older';
      limit: number;
    }
  | { type: 'historyFailed'; key: string; error: string }
  | { type: 'select'; delta: number }
  | { type: 'open'; key: string }
  | { type: 'openNextUnread' }
  | { type: 'focus'; focus: Focus }
  | { type: 'toggleFocus' }
  | { type: 'toggleSort' }
  | { type: 'scroll'; delta: number; max: number }
  | { type: 'edit'; target: EditTarget; op: EditOp }
  | { type: 'sendStarted'; key: string; localId: number; text: string; now: number }
  | { type: 'sendSucceeded'; key: string; localId: number; message: Message }
  /** `error` is the status bar's line; `retryOperationId` keeps the message for Ctrl+R. */
  | { type: 'sendFailed'; key: string; localId: number; error: string; retryOperationId?: number }
  /** Ctrl+R: a failed message is on its way again. */
  | { type: 'sendRetried'; key: string; localId: number }
  | { type: 'markedRead'; chatId: number; messageId: number }
  | { type: 'dialogOpen'; kind: Dialog['kind'] }
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
  | { type: 'notice'; text: string; isError?: boolean }
  | { type: 'dismissNotice' };
