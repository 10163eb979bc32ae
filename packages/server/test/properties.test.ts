/**
 * Model-based properties (fast-check `fc.commands`) of the idempotent send and of read pointers,
 * against two real instances on one database, requests spread over both. Each run starts from
 * fresh users, so runs (and fast-check's shrinking) do not see each other's state. On a failure
 * fast-check prints the seed and the shrunk command sequence.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { startCluster, type Api, type Cluster, type Session } from './support/harness.js';
import { openSocket, type TestSocket } from './support/sockets.js';

const MISSING_ID = 999_999_999;
const EVENT_TIMEOUT_MS = 8000;

describe('properties against a model', function () {
  this.timeout(120_000);
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  const api = (instance: number): Api => c.apis[instance % c.apis.length]!;

  // -------------------------------------------------------------------------------------------
  // Idempotency: (sender, operation_id) is bound to its first successful (target, text)

  describe('idempotent sends', () => {
    /** Three users: A and B are in the group, C is not. */
    interface World {
      actors: Session[];
      groupId: number;
      groupChatId: number;
    }
    type TargetSpec =
      | { kind: 'user'; actor: number }
      | { kind: 'group' }
      | { kind: 'missing-user' }
      | { kind: 'missing-group' };
    interface SendSpec {
      sender: number;
      target: TargetSpec;
      operationId: number;
      text: number;
      instance: number;
    }
    interface Binding {
      payload: string;
      messageId: number;
      chatId: number;
    }
    interface Model {
      /** `sender:operation_id` → what it is bound to. */
      keys: Map<string, Binding>;
      /** Every message created, with the chat it belongs to (`group`, `direct:i:j`). */
      messages: { id: number; chat: string; sender: number; text: string }[];
      /** Chat ids learnt from the answers, by chat key. */
      chats: Map<string, number>;
    }
    /** Distinctive texts: a conflict's answer must not reveal the other one. */
    const TEXTS = ['text-alpha-7f3e', 'text-beta-91cd'];

    const sendSpec: fc.Arbitrary<SendSpec> = fc.record({
      sender: fc.nat(2),
      target: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({ kind: fc.constant('user' as const), actor: fc.nat(2) }),
        },
        { weight: 3, arbitrary: fc.constant({ kind: 'group' as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'missing-user' as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'missing-group' as const }) },
      ),
      operationId: fc.nat(3),
      text: fc.nat(1),
      instance: fc.nat(1),
    });

    const describeSpec = (s: SendSpec) => {
      const t = s.target;
      const to = t.kind === 'user' ? `user ${'ABC'[t.actor]}` : t.kind;
      return `${'ABC'[s.sender]}#${s.operationId}→${to} "${TEXTS[s.text]}" @${s.instance}`;
    };

    function failureOf(spec: SendSpec): [number, string] | undefined {
      if (spec.target.kind === 'missing-user') return [404, 'user_not_found'];
      if (spec.target.kind === 'missing-group') return [404, 'group_not_found'];
      if (spec.target.kind === 'group' && spec.sender === 2) return [403, 'chat_forbidden'];
      return undefined;
    }
    const keyOf = (s: SendSpec) => `${s.sender}:${s.operationId}`;
    const payloadOf = (s: SendSpec) =>
      `${s.target.kind}:${s.target.kind === 'user' ? s.target.actor : ''}:${s.text}`;
    const chatOf = (s: SendSpec) =>
      s.target.kind === 'user'
        ? `direct:${Math.min(s.sender, s.target.actor)}:${Math.max(s.sender, s.target.actor)}`
        : 'group';

    function post(w: World, s: SendSpec) {
      const t = s.target;
      const target =
        t.kind === 'user'
          ? { user: w.actors[t.actor]!.userId }
          : t.kind === 'group'
            ? { group: w.groupId }
            : t.kind === 'missing-user'
              ? { user: MISSING_ID }
              : { group: MISSING_ID };
      return api(s.instance).send(target, TEXTS[s.text]!, s.operationId, w.actors[s.sender]!.token);
    }

    /** A new message: checks the answer and records it in the model. */
    function created(m: Model, s: SendSpec, res: Awaited<ReturnType<typeof post>>, what: string) {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(201);
      expect(res.headers.get('idempotent-replayed'), what).to.equal(null);
      expect(res.body.text, what).to.equal(TEXTS[s.text]);
      const chat = chatOf(s);
      const known = m.chats.get(chat);
      if (known !== undefined)
        expect(res.body.chat_id, `${what}: one chat per pair`).to.equal(known);
      m.chats.set(chat, res.body.chat_id);
      m.messages.push({ id: res.body.id, chat, sender: s.sender, text: TEXTS[s.text]! });
      m.keys.set(keyOf(s), {
        payload: payloadOf(s),
        messageId: res.body.id,
        chatId: res.body.chat_id,
      });
    }

    /** The answer to `s` when its key is already bound (or the send fails whatever the key). */
    function expectSettled(
      s: SendSpec,
      bound: Binding | undefined,
      res: Awaited<ReturnType<typeof post>>,
      what: string,
    ) {
      const failure = failureOf(s);
      const body = JSON.stringify(res.body);
      if (failure) {
        expect([res.status, res.body.code], `${what}: ${body}`).to.deep.equal(failure);
      } else if (bound!.payload === payloadOf(s)) {
        expect(res.status, `${what}: a replay, ${body}`).to.equal(200);
        expect(res.headers.get('idempotent-replayed'), what).to.equal('true');
        expect(res.body.id, `${what}: the original message`).to.equal(bound!.messageId);
        expect(res.body.chat_id, what).to.equal(bound!.chatId);
      } else {
        expect([res.status, res.body.code], `${what}: ${body}`).to.deep.equal([
          422,
          'operation_id_conflict',
        ]);
        for (const text of TEXTS) expect(body, `${what}: reveals nothing`).not.to.contain(text);
      }
    }

    class Send implements fc.AsyncCommand<Model, World> {
      constructor(readonly spec: SendSpec) {}
      check = () => true;
      async run(m: Model, w: World) {
        const res = await post(w, this.spec);
        const bound = m.keys.get(keyOf(this.spec));
        if (failureOf(this.spec) || bound) expectSettled(this.spec, bound, res, this.toString());
        else created(m, this.spec, res, this.toString());
      }
      toString = () => `send(${describeSpec(this.spec)})`;
    }

    /** Sends at the same moment, over both instances: duplicates and conflicts race. */
    class Burst implements fc.AsyncCommand<Model, World> {
      constructor(readonly specs: SendSpec[]) {}
      check = () => true;
      async run(m: Model, w: World) {
        const answers = await Promise.all(this.specs.map((s) => post(w, s)));
        const what = this.toString();
        // Keys free before the burst: exactly one of their valid sends wins.
        const racing = new Map<string, number[]>();
        this.specs.forEach((s, i) => {
          const bound = m.keys.get(keyOf(s));
          if (failureOf(s) || bound) expectSettled(s, bound, answers[i]!, `${what} [${i}]`);
          else racing.set(keyOf(s), [...(racing.get(keyOf(s)) ?? []), i]);
        });
        for (const [, indexes] of racing) {
          const winners = indexes.filter((i) => answers[i]!.status === 201);
          expect(
            winners,
            `${what}: one creation per key, got ${JSON.stringify(indexes.map((i) => answers[i]!.status))}`,
          ).to.have.lengthOf(1);
          const winner = winners[0]!;
          created(m, this.specs[winner]!, answers[winner]!, `${what} [${winner}]`);
          for (const i of indexes) {
            if (i === winner) continue;
            expectSettled(
              this.specs[i]!,
              m.keys.get(keyOf(this.specs[i]!)),
              answers[i]!,
              `${what} [${i}]`,
            );
          }
        }
      }
      toString = () => `burst(${this.specs.map(describeSpec).join(' | ')})`;
    }

    /** What the database holds, through the API: every chat's history and every user's chats. */
    async function expectDatabaseMatches(m: Model, w: World) {
      const histories: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const chat of new Set(['group', ...m.chats.keys()])) {
        const chatId = chat === 'group' ? w.groupChatId : m.chats.get(chat)!;
        const reader = chat === 'group' ? 0 : Number(chat.split(':')[1]);
        const res = await api(reader).get(`/history/${chatId}?limit=100`, w.actors[reader]!.token);
        expect(res.status).to.equal(200);
        histories[chat] = res.body.map((x: any) => [x.id, x.sender_id, x.text]);
        expected[chat] = m.messages
          .filter((x) => x.chat === chat)
          .sort((a, b) => a.id - b.id)
          .map((x) => [x.id, w.actors[x.sender]!.userId, x.text]);
      }
      expect(histories, 'the messages in the database').to.deep.equal(expected);
      for (let i = 0; i < 3; i++) {
        const res = await api(i).get('/chats', w.actors[i]!.token);
        const chatIds = res.body.map((x: any) => x.chat_id).sort((a: number, b: number) => a - b);
        const mine = [...m.chats.entries()]
          .filter(([k]) => k.split(':').slice(1).map(Number).includes(i))
          .map(([, id]) => id);
        const want = [...(i < 2 ? [w.groupChatId] : []), ...mine].sort((a, b) => a - b);
        expect(chatIds, `the chats of ${'ABC'[i]}: no chat from a failed send`).to.deep.equal(want);
      }
    }

    async function newWorld(): Promise<World> {
      const actors = await Promise.all(['a', 'b', 'c'].map((l) => c.api.newUser(`idem-${l}`)));
      const group = await c.api.post(
        '/group',
        { name: 'idempotency', participant_user_ids: [actors[1]!.userId] },
        actors[0]!.token,
      );
      expect(group.status).to.equal(201);
      return { actors, groupId: group.body.group_id, groupChatId: group.body.chat_id };
    }

    it('a key is bound to its first successful send: replays answer it, conflicts 422, failures leave it free', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(
            [
              sendSpec.map((s) => new Send(s)),
              fc.array(sendSpec, { minLength: 2, maxLength: 5 }).map((s) => new Burst(s)),
              // Identical duplicates at the same moment, on both instances.
              fc
                .tuple(sendSpec, fc.integer({ min: 2, max: 4 }))
                .map(
                  ([s, n]) =>
                    new Burst(Array.from({ length: n }, (_, i) => ({ ...s, instance: i % 2 }))),
                ),
            ],
            { maxCommands: 12, size: 'max' },
          ),
          async (commands) => {
            const world = await newWorld();
            const model: Model = { keys: new Map(), messages: [], chats: new Map() };
            await fc.asyncModelRun(() => ({ model, real: world }), commands);
            await expectDatabaseMatches(model, world);
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  // -------------------------------------------------------------------------------------------
  // Read pointers: "read up to", never backwards; is_read, unread_count and Read events follow

  describe('read pointers', () => {
    interface World {
      members: (Session & { email: string })[];
      groupId: number;
      chatId: number;
      /** One /ws socket per member, on alternating instances. */
      sockets: TestSocket[];
      /** Read events as they arrived: to whose socket, and for which message. */
      reads: { to: number; messageId: number; readerIds: number[] }[];
      /** What arrived that the model says must not have (an early or misaddressed Read). */
      violations: string[];
      model: Model;
    }
    interface Model {
      pointers: number[];
      messages: { id: number; sender: number }[];
      /** The pointers once the reads in flight are applied: a Read may arrive before their answer. */
      inFlight?: number[];
      nextOperationId: number[];
    }

    const isFullyRead = (pointers: number[], msg: { id: number; sender: number }) =>
      pointers.every((p, member) => member === msg.sender || p >= msg.id);

    class Send implements fc.AsyncCommand<Model, World> {
      constructor(
        readonly member: number,
        readonly instance: number,
      ) {}
      check = () => true;
      async run(m: Model, w: World) {
        const member = this.member % w.members.length;
        const operationId = m.nextOperationId[member]!++;
        const res = await api(this.instance).send(
          { group: w.groupId },
          `from ${member}`,
          operationId,
          w.members[member]!.token,
        );
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.chat_id).to.equal(w.chatId);
        expect(res.body.is_read, 'other members have read nothing of it yet').to.equal(false);
        m.messages.push({ id: res.body.id, sender: member });
      }
      toString = () => `send(${this.member} @${this.instance})`;
    }

    interface ReadSpec {
      member: number;
      pick: number;
      instance: number;
    }

    /** Reads at the same moment (one per member): any message of the chat, old or their own. */
    class Read implements fc.AsyncCommand<Model, World> {
      constructor(readonly specs: ReadSpec[]) {}
      check = (m: Readonly<Model>) => m.messages.length > 0;
      async run(m: Model, w: World) {
        const n = w.members.length;
        const seen = new Set<number>();
        const reads = this.specs
          .map((s) => ({
            ...s,
            member: s.member % n,
            id: m.messages[s.pick % m.messages.length]!.id,
          }))
          .filter((r) => !seen.has(r.member) && seen.add(r.member));
        const after = [...m.pointers];
        for (const r of reads) after[r.member] = Math.max(after[r.member]!, r.id);
        m.inFlight = after;
        const answers = await Promise.all(
          reads.map((r) =>
            api(r.instance).post(`/messages/read/${r.id}`, undefined, w.members[r.member]!.token),
          ),
        );
        reads.forEach((r, i) => {
          const res = answers[i]!;
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          expect(res.body, `${this.toString()}: member ${r.member}'s pointer`).to.deep.equal({
            chat_id: w.chatId,
            last_read_message_id: after[r.member],
          });
          expect(res.body.last_read_message_id, 'never backwards').to.be.at.least(
            m.pointers[r.member]!,
          );
        });
        m.pointers = after;
        m.inFlight = undefined;
      }
      toString = () =>
        `read(${this.specs.map((s) => `${s.member}:${s.pick} @${s.instance}`).join(' | ')})`;
    }

    /** What one member sees: is_read in history, unread_count and last_message in /chats. */
    async function expectViewMatches(m: Model, w: World, member: number, instance: number) {
      const token = w.members[member]!.token;
      const history = await api(instance).get(`/history/${w.chatId}?limit=100`, token);
      expect(history.status).to.equal(200);
      expect(
        history.body.map((x: any) => [x.id, x.is_read]),
        `is_read as member ${member} sees it (pointers ${JSON.stringify(m.pointers)})`,
      ).to.deep.equal(m.messages.map((x) => [x.id, isFullyRead(m.pointers, x)]));
      const chats = await api(instance + 1).get('/chats', token);
      const chat = chats.body.find((x: any) => x.chat_id === w.chatId);
      const unread = m.messages.filter((x) => x.id > m.pointers[member]! && x.sender !== member);
      expect(chat.unread_count, `unread_count of member ${member}`).to.equal(unread.length);
      const last = m.messages.at(-1);
      if (last) {
        expect(chat.last_message.id).to.equal(last.id);
        expect(chat.last_message.is_read).to.equal(isFullyRead(m.pointers, last));
      }
    }

    class Look implements fc.AsyncCommand<Model, World> {
      constructor(
        readonly member: number,
        readonly instance: number,
      ) {}
      check = () => true;
      async run(m: Model, w: World) {
        await expectViewMatches(m, w, this.member % w.members.length, this.instance);
      }
      toString = () => `look(${this.member} @${this.instance})`;
    }

    async function newWorld(size: number): Promise<World> {
      const members = await Promise.all(
        Array.from({ length: size }, (_, i) => c.api.newUser(`reader-${i}`)),
      );
      const group = await c.api.post(
        '/group',
        { name: 'pointers', participant_user_ids: members.slice(1).map((x) => x.userId) },
        members[0]!.token,
      );
      expect(group.status).to.equal(201);
      const model: Model = {
        pointers: members.map(() => 0),
        messages: [],
        nextOperationId: members.map(() => 0),
      };
      const w: World = {
        members,
        groupId: group.body.group_id,
        chatId: group.body.chat_id,
        sockets: [],
        reads: [],
        violations: [],
        model,
      };
      w.sockets = await Promise.all(
        members.map((s, to) =>
          openSocket(c.servers[to % 2]!.url, '/ws', s.token, {
            onFrame: (f) => {
              if (f.type !== 'Read') return;
              w.reads.push({ to, messageId: f.message_id, readerIds: f.reader_ids });
              const msg = w.model.messages.find((x) => x.id === f.message_id);
              const pointers = w.model.inFlight ?? w.model.pointers;
              if (!msg) w.violations.push(`Read of unknown message ${f.message_id} to ${to}`);
              else if (msg.sender !== to)
                w.violations.push(`Read of ${msg.id} to ${to}, not its sender`);
              else if (!isFullyRead(pointers, msg)) {
                w.violations.push(
                  `Read of ${msg.id} before it was read by all: ${JSON.stringify(pointers)}`,
                );
              }
              if (f.chat_id !== w.chatId) w.violations.push(`Read with chat ${f.chat_id}`);
            },
          }),
        ),
      );
      return w;
    }

    /**
     * Every Read the reads so far caused has been delivered once a later event has: events reach
     * each socket in commit order. The later event: a message from another device of member 0,
     * which every member's socket gets.
     */
    async function barrier(w: World) {
      const device = await api(1).login(w.members[0]!.email, 'password123', 'barrier-device');
      const res = await api(1).send({ group: w.groupId }, 'barrier', 30_000, device.token);
      expect(res.status).to.equal(201);
      await Promise.all(
        w.sockets.map((s) =>
          s.next((f) => f.type === 'Message' && f.message.id === res.body.id, EVENT_TIMEOUT_MS),
        ),
      );
    }

    it('pointers only move forward; is_read, unread_count and each Read event follow the model', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 3, max: 4 }),
          fc.commands(
            [
              fc.oneof(
                {
                  weight: 3,
                  arbitrary: fc.tuple(fc.nat(3), fc.nat(1)).map(([m, i]) => new Send(m, i)),
                },
                {
                  weight: 3,
                  arbitrary: fc
                    .array(
                      fc.record({ member: fc.nat(3), pick: fc.nat(20), instance: fc.nat(1) }),
                      {
                        minLength: 1,
                        maxLength: 3,
                      },
                    )
                    .map((specs) => new Read(specs)),
                },
                {
                  weight: 1,
                  arbitrary: fc.tuple(fc.nat(3), fc.nat(1)).map(([m, i]) => new Look(m, i)),
                },
              ),
            ],
            { maxCommands: 30, size: 'max' },
          ),
          async (size, commands) => {
            const w = await newWorld(size);
            try {
              await fc.asyncModelRun(() => ({ model: w.model, real: w }), commands);
              for (let member = 0; member < size; member++) {
                await expectViewMatches(w.model, w, member, member);
              }
              await barrier(w);
              expect(w.violations, 'Read events that must not have been sent').to.deep.equal([]);
              const announced = w.reads.map((r) => r.messageId).sort((a, b) => a - b);
              const fullyRead = w.model.messages
                .filter((x) => isFullyRead(w.model.pointers, x))
                .map((x) => x.id);
              expect(
                announced,
                'one Read per message read by everyone, none for the rest',
              ).to.deep.equal(fullyRead);
              for (const r of w.reads) {
                const msg = w.model.messages.find((x) => x.id === r.messageId)!;
                expect(r.readerIds, `reader_ids of ${r.messageId}`).to.be.an('array');
                for (const reader of r.readerIds) {
                  const member = w.members.findIndex((x) => x.userId === reader);
                  expect(member, `reader ${reader} is another member`).to.be.at.least(0);
                  expect(member).not.to.equal(msg.sender);
                  expect(w.model.pointers[member]).to.be.at.least(msg.id);
                }
              }
            } finally {
              await Promise.all(w.sockets.map((s) => s.close()));
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  });
});
