/**
 * Mentions and threads (v1.4). Two parts:
 *
 * - What naming people and replying in a thread add to a send: sequential sends to a group of
 *   25, each naming 20 members and replying in one thread, against plain sends to the same group
 *   (interleaved rounds, same run).
 * - Counts that must not grow with history: one user in a busy group of 10k messages and another
 *   in one of 1M (quick: 100k), rows made with generate_series (a tenth of them replies in 100
 *   threads, one in fifty naming the reader, an `@all` in every thousand), each reader's pointers
 *   near the end. `GET /chats`, `GET /me/unread` and `GET /threads?unread=true` p99 at 1M against
 *   the same at 10k (aim ≤ 1.5×).
 */
import pg from 'pg';
import { expectStatus, newAgent, request } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { interleaved } from '../lib/stats.js';
import { createGroup, devices, nextOperationId, send, type Device } from '../lib/users.js';

const CONCURRENCY = 4;
const GROUP = 25;
const NAMED = 20;

export const threadsScenario: Scenario = {
  name: 'threads',
  title: 'Mentions and threads: their cost on a send; unread counts at 10k vs 1M messages',
  async run(ctx) {
    const databaseUrl = await ctx.pg.database('threads');
    const [server] = await startInstances(1, databaseUrl);
    const port = server!.port;
    const agent = newAgent(CONCURRENCY);
    onCleanup(() => agent.destroy());

    // 1. The send.
    const people = await devices(agent, port, 'thr', GROUP);
    const [me] = people as [Device];
    const group = await createGroup(
      agent,
      port,
      me,
      people.map((p) => p.userId),
    );
    const root = await send(agent, port, me, { group: group.groupId }, 'the thread');
    const named = people.slice(1, NAMED + 1).map((p) => p.userId);
    const post = (extra: Record<string, unknown>) => async () => {
      const res = await request(
        agent,
        port,
        `/messages/group/${group.groupId}`,
        { text: 'a message for the bench', operation_id: nextOperationId(me), ...extra },
        me.token,
      );
      expectStatus(res, 201, 'send');
    };
    const sendCases = {
      plain: post({}),
      named: post({ mentions: named, thread_id: root.id }),
    };
    const sendMs = ctx.quick ? 1500 : 6000;
    ctx.log('threads: sends, plain and with 20 mentions in a thread, in turns');
    await interleaved(1, sendCases, 600, 2);
    const sends = await interleaved(1, sendCases, sendMs, ctx.quick ? 4 : 8);
    ctx.row({
      case: `send naming ${NAMED} of ${GROUP} in a thread`,
      metric: 'p50 latency',
      value: sends.named.p50,
      unit: 'ms',
      baseline: sends.plain.p50,
      baselineLabel: 'plain send to the group, same run',
    });

    // 2. The counts at depth.
    const small = 10_000;
    const big = ctx.quick ? 100_000 : 1_000_000;
    const [readerA, readerB, other] = await devices(agent, port, 'thrc', 3);
    const chatA = await createGroup(agent, port, other!, [readerA!.userId]);
    const chatB = await createGroup(agent, port, other!, [readerB!.userId]);
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    onCleanup(() => db.end());
    const fill = async (chatId: number, reader: Device, n: number) => {
      const t0 = performance.now();
      const roots = await db.query<{ id: number }>(
        `INSERT INTO messages (chat_id, sender_id, sender_client_id, text)
         SELECT $1, $2, 'bulk', 'root ' || g FROM generate_series(1, 100) g RETURNING id`,
        [chatId, other!.userId],
      );
      const rootIds = roots.rows.map((r) => Number(r.id));
      await db.query(
        `INSERT INTO messages (chat_id, sender_id, sender_client_id, text, thread_id, mentions,
                               mention_all)
         SELECT $1, CASE WHEN g % 2 = 0 THEN $2::bigint ELSE $3::bigint END, 'bulk',
                'message number ' || g,
                CASE WHEN g % 10 = 5 THEN ($5::bigint[])[1 + (g / 10) % 100] END,
                CASE WHEN g % 50 = 1 THEN ARRAY[$2::bigint] ELSE '{}' END,
                g % 1000 = 7
         FROM generate_series(1, $4::int) g`,
        [chatId, reader.userId, other!.userId, n, rootIds],
      );
      await db.query(
        `INSERT INTO message_mentions (user_id, message_id, chat_id)
         SELECT $2, id, chat_id FROM messages
         WHERE chat_id = $1 AND $2 = ANY (mentions) AND sender_id <> $2`,
        [chatId, reader.userId],
      );
      // Each root's summary, as the replies' transactions would have left it.
      await db.query(
        `UPDATE messages r SET reply_count = s.n, last_reply_id = s.last, last_reply_at = now(),
                thread_participants = ARRAY[r.sender_id, $2::bigint]
         FROM (SELECT thread_id, count(*)::int AS n, max(id) AS last FROM messages
               WHERE chat_id = $1 AND thread_id IS NOT NULL GROUP BY thread_id) s
         WHERE r.id = s.thread_id`,
        [chatId, reader.userId],
      );
      // The reader follows every thread and has read all but the last hundred messages.
      await db.query(
        `UPDATE chat_members SET last_read_message_id =
           (SELECT max(id) - 100 FROM messages WHERE chat_id = $1)
         WHERE chat_id = $1 AND user_id = $2`,
        [chatId, reader.userId],
      );
      await db.query(
        `INSERT INTO thread_follows (user_id, root_id, chat_id, last_read_id)
         SELECT $2, r.id, $1, r.last_reply_id - CASE WHEN r.id % 2 = 0 THEN 1 ELSE 0 END
         FROM messages r WHERE r.chat_id = $1 AND r.last_reply_id IS NOT NULL`,
        [chatId, reader.userId],
      );
      await db.query(
        `UPDATE chats SET last_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1)
         WHERE id = $1`,
        [chatId],
      );
      return (performance.now() - t0) / 1000;
    };
    ctx.log(`threads: inserting ${small} + ${big} messages`);
    const seconds =
      (await fill(chatA.chatId, readerA!, small)) + (await fill(chatB.chatId, readerB!, big));
    await db.query('VACUUM ANALYZE messages, message_mentions, thread_follows, chat_members');
    const bigLabel = big >= 1_000_000 ? `${big / 1_000_000}M` : `${big / 1000}k`;
    ctx.note(
      `threads: sends ${sendMs / 1000} s per case in turns; ${small} and ${big} messages` +
        `${ctx.quick ? ' (quick; full: 1,000,000)' : ''} inserted in ${seconds.toFixed(1)} s; ` +
        `${CONCURRENCY} concurrent readers`,
    );
    const get = (reader: Device, path: string) => async () => {
      const res = await request(agent, port, path, undefined, reader.token);
      expectStatus(res, 200, path);
    };
    const cases = {
      chatsA: get(readerA!, '/chats'),
      chatsB: get(readerB!, '/chats'),
      unreadA: get(readerA!, '/me/unread'),
      unreadB: get(readerB!, '/me/unread'),
      threadsA: get(readerA!, '/threads?unread=true'),
      threadsB: get(readerB!, '/threads?unread=true'),
    };
    ctx.log('threads: counts, every case in turns');
    const runMs = ctx.quick ? 2400 : 9000;
    await interleaved(CONCURRENCY, cases, 1200, 6);
    const r = await interleaved(CONCURRENCY, cases, runMs, ctx.quick ? 4 : 10);
    for (const [name, x] of Object.entries(r)) {
      if (x.errors) throw new Error(`${name}: ${x.firstError}`);
    }
    for (const [label, a, b] of [
      ['GET /chats', r.chatsA, r.chatsB],
      ['GET /me/unread', r.unreadA, r.unreadB],
      ['GET /threads?unread=true', r.threadsA, r.threadsB],
    ] as const) {
      ctx.row({
        case: `${label}, ${bigLabel} messages`,
        metric: 'p99',
        value: b.p99,
        unit: 'ms',
        baseline: a.p99,
        baselineLabel: 'the same at 10k',
        aim: aim('ratio', '<=', 1.5),
      });
    }
  },
};
