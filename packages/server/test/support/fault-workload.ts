/**
 * The traffic of fault scenarios, through the real SDK: people with direct chats and groups,
 * senders (`race`, `hedge` and `failover` clients over every host) that keep sending until
 * stopped and retry a failed send with the same operation id, and subscribers that record every
 * message they get. Everything goes into an {@link Audit}.
 */
import {
  MessengerClient,
  MessengerError,
  type LoggedEvent,
  type Strategy,
  type Subscription,
  type WebSocketLike,
} from '@msgr/sdk';
import { setMaxListeners } from 'node:events';
import WebSocket from 'ws';
import type { Audit, Target } from './audit.js';
import { sleep, waitFor } from './fault-cluster.js';
import { Api } from './harness.js';

/** `FAULTS_SCALE` (default 1) multiplies senders and stream lengths. */
export const SCALE = Math.max(0.25, Number(process.env.FAULTS_SCALE ?? 1) || 1);
export const scaled = (n: number) => Math.max(1, Math.round(n * SCALE));

/** A small seeded PRNG (mulberry32): scenarios print their seed so a run can be repeated. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

export interface Person {
  label: string;
  email: string;
  password: string;
  userId: number;
}

export interface ChatOfWorld {
  chatId: number;
  kind: 'direct' | 'group';
  memberIds: number[];
  /** Groups: the group's id and its owner (the person listed first). */
  groupId?: number;
  ownerId?: number;
  /** How a member sends into it. */
  targetFor(sender: Person): Target;
}

export interface World {
  people: Person[];
  chats: ChatOfWorld[];
  byLabel(label: string): Person;
  /** The chats `person` is in. */
  chatsOf(person: Person): ChatOfWorld[];
}

/** Operation ids per user, never reused within a scenario (int16, from -32768 up). */
export class OperationIdPool {
  private readonly next = new Map<number, number>();

  take(userId: number): number {
    const id = this.next.get(userId) ?? -32_768;
    if (id > 32_767) throw new Error(`user ${userId} ran out of operation ids`);
    this.next.set(userId, id + 1);
    return id;
  }
}

/**
 * Registers `people`, creates `groups` (lists of indexes into people) and the `directs` (pairs);
 * each direct chat is opened with a first message (recorded in the audit like any send).
 */
export async function buildWorld(
  audit: Audit,
  api: Api,
  opIds: OperationIdPool,
  {
    people: labels,
    groups = [],
    directs = [],
  }: { people: string[]; groups?: number[][]; directs?: [number, number][] },
): Promise<World> {
  const people: Person[] = [];
  for (const label of labels) {
    const email = `${label}-${Math.random().toString(36).slice(2, 8)}@faults.test`;
    const password = 'password123';
    const res = await api.post('/register', { email, name: label, password });
    if (res.status !== 201) throw new Error(`register ${label}: ${res.status}`);
    people.push({ label, email, password, userId: res.body.id });
  }
  const tokens = new Map<number, string>();
  const tokenOf = async (p: Person) => {
    if (!tokens.has(p.userId)) {
      tokens.set(p.userId, (await api.login(p.email, p.password, `setup-${p.label}`)).token);
    }
    return tokens.get(p.userId)!;
  };
  const chats: ChatOfWorld[] = [];
  for (const [n, members] of groups.entries()) {
    const owner = people[members[0]!]!;
    const res = await api.post(
      '/group',
      { name: `group-${n}`, participant_user_ids: members.map((i) => people[i]!.userId) },
      await tokenOf(owner),
    );
    if (res.status !== 201) throw new Error(`group ${n}: ${res.status}`);
    const groupId: number = res.body.group_id;
    chats.push({
      chatId: res.body.chat_id,
      kind: 'group',
      memberIds: res.body.member_ids,
      groupId,
      ownerId: owner.userId,
      targetFor: () => ({ group: groupId }),
    });
  }
  for (const [i, j] of directs) {
    const a = people[i]!;
    const b = people[j]!;
    const text = audit.text(`${a.label}/setup`, chats.length);
    const operationId = opIds.take(a.userId);
    const target = { user: b.userId };
    audit.attempt({ sender: `${a.label}/setup`, senderId: a.userId, target, text, operationId });
    const res = await api.send(target, text, operationId, await tokenOf(a));
    audit.exchange({
      sender: `${a.label}/setup`,
      host: api.baseUrl,
      operationId,
      text,
      status: res.status,
      messageId: res.body?.id,
    });
    if (res.status !== 201) throw new Error(`opening a direct chat: ${res.status}`);
    audit.acknowledged(text, res.body);
    chats.push({
      chatId: res.body.chat_id,
      kind: 'direct',
      memberIds: [a.userId, b.userId],
      targetFor: (sender) => ({ user: sender.userId === a.userId ? b.userId : a.userId }),
    });
  }
  return {
    people,
    chats,
    byLabel: (label) => {
      const p = people.find((x) => x.label === label);
      if (!p) throw new Error(`nobody called ${label}`);
      return p;
    },
    chatsOf: (p) => chats.filter((c) => c.memberIds.includes(p.userId)),
  };
}

/** `hosts` rotated to start at `first` (a failover client then prefers that instance). */
export function rotate<T>(hosts: readonly T[], first: number): T[] {
  const n = hosts.length;
  return hosts.map((_, i) => hosts[(first + i) % n]!);
}

export interface SenderSpec {
  /** Unique; names the client in the audit (`alice/race`). */
  label: string;
  person: Person;
  strategy: Strategy;
  hosts: string[];
  /** Where it sends, in turn. Default: every chat of the person. */
  chats?: ChatOfWorld[];
  /** Appended to every text (big messages for the slow-consumer scenario). */
  padding?: string;
  /** Pause between sends, ms (default none). */
  pauseMs?: number;
}

export interface Senders {
  /** Sends acknowledged so far by all senders. */
  readonly acknowledged: number;
  readonly attempted: number;
  /** Resolves once `count` sends more than now were acknowledged; throws after `timeoutMs`. */
  untilMore(count: number, what: string, timeoutMs?: number): Promise<void>;
  /** Stops sending; sends in flight finish (their retries bounded by `settleMs`). */
  stop(): Promise<void>;
}

/** How long one send keeps being retried (same operation id) before it counts as failed. */
const RETRY_FOR_MS = 30_000;

function isRetryable(err: unknown): boolean {
  if (!(err instanceof MessengerError)) return false;
  return err.status === 0 || err.status === 429 || err.status >= 500;
}

/**
 * Logs every spec's client in and starts its loop: send, wait for the answer (retrying a
 * failure with the same text and operation id, as an application should), next.
 */
export async function startSenders(
  audit: Audit,
  world: World,
  specs: SenderSpec[],
  opIds: OperationIdPool,
  { settleMs = 40_000 }: { settleMs?: number } = {},
): Promise<Senders> {
  const stopping = new AbortController();
  const hardStop = new AbortController();
  // Every request of every sender listens to it.
  setMaxListeners(0, hardStop.signal);
  let acknowledged = 0;
  let attempted = 0;
  const clients = await Promise.all(
    specs.map(async (spec) => {
      const client = new MessengerClient({
        hosts: spec.hosts,
        strategy: spec.strategy,
        fetch: audit.fetchFor(spec.label),
      });
      await client.login({
        email: spec.person.email,
        password: spec.person.password,
        clientId: spec.label,
      });
      return client;
    }),
  );

  const loop = async (spec: SenderSpec, client: MessengerClient) => {
    const chats = spec.chats ?? world.chatsOf(spec.person);
    for (let seq = 0; !stopping.signal.aborted; seq++) {
      const chat = chats[seq % chats.length]!;
      const target = chat.targetFor(spec.person);
      const text = audit.text(spec.label, seq, spec.padding);
      const operationId = opIds.take(spec.person.userId);
      attempted++;
      const giveUpAt = Date.now() + RETRY_FOR_MS;
      for (let tries = 0; ; tries++) {
        audit.attempt({
          sender: spec.label,
          senderId: spec.person.userId,
          target,
          text,
          operationId,
        });
        try {
          const options = { operationId, signal: hardStop.signal };
          const message =
            'user' in target
              ? await client.sendToUser(target.user, text, options)
              : await client.sendToGroup(target.group, text, options);
          audit.acknowledged(text, message);
          acknowledged++;
          break;
        } catch (err) {
          audit.failed(text, err);
          if (!isRetryable(err) || Date.now() > giveUpAt || hardStop.signal.aborted) break;
          await sleep(Math.min(2000, 200 * 2 ** tries));
        }
      }
      if (spec.pauseMs) await sleep(spec.pauseMs);
    }
  };
  const loops = specs.map((spec, i) => loop(spec, clients[i]!));

  return {
    get acknowledged() {
      return acknowledged;
    },
    get attempted() {
      return attempted;
    },
    async untilMore(count, what, timeoutMs = 30_000) {
      const target = acknowledged + count;
      await waitFor(
        `${count} more acknowledged sends (${what})`,
        () => (acknowledged >= target ? true : undefined),
        { timeoutMs },
      );
    },
    async stop() {
      stopping.abort();
      const timer = setTimeout(() => hardStop.abort(), settleMs);
      try {
        await Promise.all(loops);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** What a subscriber's sockets saw underneath the SDK. */
export interface SocketStats {
  /** Connections that opened. */
  opens: number;
  /** `Resync` frames received. */
  resyncs: number;
  /** Close codes, in order. */
  closeCodes: number[];
  /** Message frames (before the SDK's de-duplication). */
  messageFrames: number;
  /** Every connection: when (ms since the subscriber started), where and from which cursor. */
  connections: { atMs: number; url: string }[];
}

/** The `ws` WebSocket, counting opens, closes and frames into `stats`. */
export function recordingWebSocket(stats: SocketStats): WebSocketLike {
  const startedAt = Date.now();
  class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      stats.connections.push({ atMs: Date.now() - startedAt, url });
      this.addEventListener('open', () => stats.opens++);
      this.addEventListener('close', (ev) => stats.closeCodes.push(ev.code));
      this.addEventListener('message', (ev) => {
        const text =
          typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as Buffer).toString();
        if (text.startsWith('{"type":"Resync"')) stats.resyncs++;
        else if (text.startsWith('{"type":"Message"')) stats.messageFrames++;
      });
    }
  }
  return RecordingWebSocket as unknown as WebSocketLike;
}

export interface SubscriberSpec {
  /** Unique; names it in the audit. */
  label: string;
  person: Person;
  hosts: string[];
  /** One chat; every chat of the person when absent. */
  chatId?: number;
  /**
   * Resume position; default 0 (everything: chats are new). `'now'` subscribes without one, as
   * `subscribe({})` does: the SDK starts at the newest message (the audit then expects what
   * follows `nowId`).
   */
  after?: number | 'now';
  /** With `after: 'now'`: the newest message id of the person's chats at subscribing time. */
  nowId?: number;
  /**
   * It continues an earlier subscriber of the same label (declared in the audit already, with
   * what it should see): its messages join that inbox.
   */
  isResume?: boolean;
  /** Called with every message, right after the SDK yielded it. */
  onMessage?: (message: { id: number; chat_id: number }) => void;
}

export interface RunningSubscriber {
  readonly label: string;
  readonly stats: SocketStats;
  readonly subscription: Subscription;
  readonly client: MessengerClient;
  /** Ends the subscription and waits for its loop. */
  close(): Promise<void>;
}

/** Logs in (a device of its own), subscribes, records every message; resolves once open. */
export async function startSubscriber(
  audit: Audit,
  spec: SubscriberSpec,
): Promise<RunningSubscriber> {
  const stats: SocketStats = {
    opens: 0,
    resyncs: 0,
    closeCodes: [],
    messageFrames: 0,
    connections: [],
  };
  const client = new MessengerClient({
    hosts: spec.hosts,
    WebSocket: recordingWebSocket(stats),
  });
  const clientId = `sub-${spec.label}`;
  await client.login({ email: spec.person.email, password: spec.person.password, clientId });
  const after = spec.after ?? 0;
  if (!spec.isResume) {
    audit.subscriber(spec.label, {
      userId: spec.person.userId,
      clientId,
      ...(spec.chatId === undefined ? {} : { chatId: spec.chatId }),
      after: after === 'now' ? (spec.nowId ?? 0) : after,
    });
    // Its changes are audited too when it starts from a known place: everything the log holds
    // for it after that place (asked once the faults are over).
    if (after !== 'now') {
      audit.changes.subscriber(spec.label, () => everythingAfter(client, `${after}`, spec.chatId));
    }
  }
  const subscription = client.subscribe({
    ...(after === 'now' ? {} : { after }),
    ...(spec.chatId === undefined ? {} : { chatId: spec.chatId }),
  });
  const done = (async () => {
    try {
      for await (const event of subscription) {
        if (event.type === 'State' || event.type === 'Typing') continue;
        if (event.type !== 'Message') {
          audit.changes.received(spec.label, event);
          continue;
        }
        audit.received(spec.label, event.message);
        spec.onMessage?.(event.message);
      }
    } catch (err) {
      audit.subscriberFailed(spec.label, err);
    }
  })();
  await waitFor(`${spec.label} to connect`, () => (stats.opens > 0 ? true : undefined), {
    timeoutMs: 20_000,
  });
  return {
    label: spec.label,
    stats,
    subscription,
    client,
    close: async () => {
      subscription.close();
      await done;
    },
  };
}

/** Every logged event `client` should have after `position` (of `chatId` only, when given). */
async function everythingAfter(
  client: MessengerClient,
  position: string,
  chatId: number | undefined,
): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  for (;;) {
    const page = await client.sync({ position, limit: 1000 });
    events.push(...page.events);
    position = page.position;
    if (page.events.length < 1000) break;
  }
  if (chatId === undefined) return events;
  return events.filter((e) => ('message' in e ? e.message.chat_id : e.chat_id) === chatId);
}

/**
 * One send through `client`, recorded in the audit like a sender loop's (no retries: the
 * caller decides). Resolves with the message, or throws what the SDK threw.
 */
export async function auditedSend(
  audit: Audit,
  client: MessengerClient,
  label: string,
  person: Person,
  target: Target,
  text: string,
  opIds: OperationIdPool,
): Promise<{ id: number; chat_id: number }> {
  const operationId = opIds.take(person.userId);
  audit.attempt({ sender: label, senderId: person.userId, target, text, operationId });
  try {
    const message =
      'user' in target
        ? await client.sendToUser(target.user, text, { operationId })
        : await client.sendToGroup(target.group, text, { operationId });
    audit.acknowledged(text, message);
    return message;
  } catch (err) {
    audit.failed(text, err);
    throw err;
  }
}

/** Logs `person` in on a fresh SDK client (a device of its own). */
export async function clientFor(
  person: Person,
  hosts: string[],
  clientId: string,
  options: { strategy?: Strategy; fetch?: typeof fetch; WebSocket?: WebSocketLike } = {},
): Promise<MessengerClient> {
  const client = new MessengerClient({ hosts, ...options });
  await client.login({ email: person.email, password: person.password, clientId });
  return client;
}

export { Api };

/** Six people in two overlapping groups and three direct chats: the traffic of most scenarios. */
export function standardWorld(audit: Audit, api: Api, opIds: OperationIdPool): Promise<World> {
  return buildWorld(audit, api, opIds, {
    people: ['ana', 'ben', 'cy', 'dee', 'eve', 'fay'],
    groups: [
      [0, 1, 2, 3],
      [2, 3, 4, 5],
    ],
    directs: [
      [0, 1],
      [2, 4],
      [3, 5],
    ],
  });
}

/**
 * `perPerson` senders for each person (scaled), alternating `failover` with `race` or `hedge`,
 * each with the hosts rotated so that every instance is some failover client's first choice.
 */
export function standardSenders(world: World, hosts: string[], perPerson = 2): SenderSpec[] {
  const specs: SenderSpec[] = [];
  for (let k = 0; k < scaled(perPerson); k++) {
    for (const [i, person] of world.people.entries()) {
      // Every other spreading sender hedges instead of racing (the SDK's two ways over hosts).
      const spreads: Strategy = (i + k) % 4 === 0 ? 'race' : 'hedge';
      const strategy: Strategy = (i + k) % 2 === 0 ? spreads : 'failover';
      specs.push({
        label: `${person.label}/${strategy}-${k}`,
        person,
        strategy,
        hosts: rotate(hosts, (i + k) % hosts.length),
      });
    }
  }
  return specs;
}

/**
 * Subscribers on every instance: an all-chats subscriber per instance (ana, cy, fay) and one of
 * a single chat (dee, group 0), each starting on instance `i % count`.
 */
export async function standardSubscribers(
  audit: Audit,
  world: World,
  hosts: string[],
): Promise<RunningSubscriber[]> {
  const [ana, , cy, dee, , fay] = world.people;
  return Promise.all([
    startSubscriber(audit, { label: 'ana/all', person: ana!, hosts: rotate(hosts, 0) }),
    startSubscriber(audit, { label: 'cy/all', person: cy!, hosts: rotate(hosts, 1) }),
    startSubscriber(audit, { label: 'fay/all', person: fay!, hosts: rotate(hosts, 2) }),
    startSubscriber(audit, {
      label: 'dee/group-0',
      person: dee!,
      hosts: rotate(hosts, 0),
      chatId: world.chats[0]!.chatId,
    }),
  ]);
}
