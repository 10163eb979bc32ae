/**
 * Changes of every kind during a fault scenario, through the real SDK: "changers" that keep
 * editing their messages, reacting and taking reactions back, reading, and — in the groups they
 * own — renaming and adding and removing members (a new person each time), until stopped.
 * A failed change is tried again as the same request (each kind is idempotent) while it is
 * retryable. Everything goes into the audit's change log (change-audit.ts).
 */
import { MessengerClient, MessengerError, type Strategy } from '@msgr/sdk';
import type { Audit } from './audit.js';
import type { ChangeKind } from './change-audit.js';
import { sleep, waitFor } from './fault-cluster.js';
import {
  rotate,
  type ChatOfWorld,
  type OperationIdPool,
  type Person,
  type World,
} from './fault-workload.js';
import { Api } from './harness.js';

export interface ChangerSpec {
  /** Unique; names the client in the audit. */
  label: string;
  person: Person;
  strategy: Strategy;
  hosts: string[];
  /** Groups the person owns: renames and members happen there. */
  owned?: ChatOfWorld[];
}

export interface Changers {
  readonly acknowledged: number;
  /** Resolves once `count` more changes than now were acknowledged; throws after `timeoutMs`. */
  untilMore(count: number, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** How long one change keeps being tried before it counts as failed. */
const RETRY_FOR_MS = 30_000;
/** Between changes: they come beside the senders' stream, not instead of it. */
const PAUSE_MS = 40;

const isRetryable = (err: unknown) => err instanceof MessengerError && err.isRetryable;

export async function startChangers(
  audit: Audit,
  world: World,
  specs: ChangerSpec[],
  opIds: OperationIdPool,
  api: Api,
): Promise<Changers> {
  const stopping = new AbortController();
  let acknowledged = 0;
  const clients = await Promise.all(
    specs.map(async (spec) => {
      const client = new MessengerClient({ hosts: spec.hosts, strategy: spec.strategy });
      await client.login({
        email: spec.person.email,
        password: spec.person.password,
        clientId: spec.label,
      });
      return client;
    }),
  );

  /** One change, tried until it succeeds, is refused for good, or runs out of time. */
  async function change(
    label: string,
    id: string,
    kind: ChangeKind,
    key: string | undefined,
    work: () => Promise<unknown>,
    { isDoneWhen }: { isDoneWhen?: (err: unknown) => boolean } = {},
  ): Promise<boolean> {
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (let tries = 0; ; tries++) {
      audit.changes.attempt(id, { label, kind, key });
      try {
        await work();
        audit.changes.acknowledged(id);
        acknowledged++;
        return true;
      } catch (err) {
        // A repeat of a change that went through before its answer was lost.
        if (tries > 0 && isDoneWhen?.(err)) {
          audit.changes.acknowledged(id);
          acknowledged++;
          return true;
        }
        audit.changes.failed(id, err);
        if (!isRetryable(err) || Date.now() > giveUpAt) return false;
        await sleep(Math.min(2000, 200 * 2 ** tries));
      }
    }
  }

  const loop = async (spec: ChangerSpec, client: MessengerClient) => {
    const { label, person } = spec;
    const text = (n: number) => `changes of ${audit.scenario}: ${label} ${n}`;
    const chats = world.chatsOf(person);
    const mine: { id: number; chatId: number }[] = [];
    const reacted: { messageId: number; emoji: string }[] = [];
    const floaters = new Map<number, number>(); // group id → the person added last
    for (let n = 0; !stopping.signal.aborted; n++) {
      const step = n % 7;
      if (step === 0 || mine.length === 0) {
        // Something of its own to change. Outside the message audit (its text changes, and
        // the message audit knows a message by its text): a send retried as itself.
        const sent = await ownMessage(client, person, chats[n % chats.length]!, text(n), opIds);
        if (sent) mine.push(sent);
      } else if (step === 1) {
        const target = mine[n % mine.length]!;
        const edited = `${text(n)} edited`;
        await change(label, `${label}#${n}`, 'edit', `MessageEdited ${target.id} ${edited}`, () =>
          client.editMessage(target.id, edited),
        );
      } else if (step === 2) {
        const target = mine[(n * 7) % mine.length]!;
        const emoji = `r${n}`;
        const key = `Reaction ${target.id} ${emoji} ${person.userId} true`;
        const ok = await change(label, `${label}#${n}`, 'react', key, () =>
          client.react(target.id, emoji),
        );
        if (ok) reacted.push({ messageId: target.id, emoji });
      } else if (step === 3 && reacted.length > 0) {
        const { messageId, emoji } = reacted.shift()!;
        const key = `Reaction ${messageId} ${emoji} ${person.userId} false`;
        await change(label, `${label}#${n}`, 'unreact', key, () =>
          client.unreact(messageId, emoji),
        );
      } else if (step === 4) {
        // A read may not move the pointer (nothing newer): no event is promised.
        const target = mine[mine.length - 1]!;
        await change(label, `${label}#${n}`, 'read', undefined, () => client.markRead(target.id));
      } else if (step === 5 && spec.owned?.length) {
        const chat = spec.owned[n % spec.owned.length]!;
        const groupId = chat.groupId!;
        const name = `${audit.scenario} ${label} ${n}`;
        await change(label, `${label}#${n}`, 'rename', `ChatUpdated ${chat.chatId} ${name}`, () =>
          client.renameGroup(groupId, name),
        );
      } else if (step === 6 && spec.owned?.length) {
        const chat = spec.owned[n % spec.owned.length]!;
        const groupId = chat.groupId!;
        const last = floaters.get(groupId);
        if (last !== undefined) {
          floaters.delete(groupId);
          const key = `MembersChanged ${chat.chatId} + -${last} owner ${person.userId}`;
          await change(
            label,
            `${label}#${n}`,
            'remove',
            key,
            () => client.removeMember(groupId, last),
            {
              isDoneWhen: (err) => err instanceof MessengerError && err.code === 'member_not_found',
            },
          );
        } else {
          const newcomer = await register(api, `${label.replace(/\W/g, '')}${n}`).catch(
            () => undefined,
          );
          if (newcomer === undefined) continue;
          const key = `MembersChanged ${chat.chatId} +${newcomer} - owner ${person.userId}`;
          const ok = await change(label, `${label}#${n}`, 'add', key, () =>
            client.addMembers(groupId, [newcomer]),
          );
          if (ok) floaters.set(groupId, newcomer);
        }
      }
      await sleep(PAUSE_MS);
    }
  };
  const loops = specs.map((spec, i) => loop(spec, clients[i]!));

  return {
    get acknowledged() {
      return acknowledged;
    },
    async untilMore(count, what, timeoutMs = 30_000) {
      const target = acknowledged + count;
      await waitFor(
        `${count} more acknowledged changes (${what})`,
        () => (acknowledged >= target ? true : undefined),
        { timeoutMs },
      );
    },
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/** A message of the changer's own (retried with its operation id while retryable). */
async function ownMessage(
  client: MessengerClient,
  person: Person,
  chat: ChatOfWorld,
  text: string,
  opIds: OperationIdPool,
): Promise<{ id: number; chatId: number } | undefined> {
  const operationId = opIds.take(person.userId);
  const target = chat.targetFor(person);
  const giveUpAt = Date.now() + RETRY_FOR_MS;
  for (let tries = 0; ; tries++) {
    try {
      const m =
        'user' in target
          ? await client.sendToUser(target.user, text, { operationId })
          : await client.sendToGroup(target.group, text, { operationId });
      return { id: m.id, chatId: m.chat_id };
    } catch (err) {
      if (!isRetryable(err) || Date.now() > giveUpAt) return undefined;
      await sleep(Math.min(2000, 200 * 2 ** tries));
    }
  }
}

/** A new person (added to a group, later removed): their id. */
async function register(api: Api, label: string): Promise<number> {
  const email = `${label}-${Math.random().toString(36).slice(2, 8)}@faults.test`;
  const res = await api.post('/register', { email, name: label, password: 'password123' });
  if (res.status !== 201) throw new Error(`register ${label}: ${res.status}`);
  return res.body.id as number;
}

/**
 * Changers for the first three people of the world (the owners of the standard world's groups
 * among them), alternating `race` and `failover`, the hosts rotated.
 */
export function standardChangers(world: World, hosts: string[]): ChangerSpec[] {
  return world.people.slice(0, 3).map((person, i) => ({
    label: `${person.label}/changes`,
    person,
    strategy: i % 2 === 0 ? 'race' : 'failover',
    hosts: rotate(hosts, i % hosts.length),
    owned: world.chats.filter((c) => c.kind === 'group' && c.ownerId === person.userId),
  }));
}
