/**
 * History at depth: one chat of 10k messages and one of 1M (quick: 100k), rows made with
 * generate_series straight in SQL. Pages of 50 through GET /history/{chat_id}: the latest page,
 * and `before=` a random id of the chat (keyset at any depth); baseline: the latest page of the
 * 10k chat. The foil: the same page by OFFSET through pg (what keyset avoids), at random depth
 * in both chats.
 */
import pg from 'pg';
import { MESSAGE_COLUMNS } from '../../../packages/server/src/db/messages-queries.js';
import { expectStatus, newAgent, request } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { interleaved, type LoadResult } from '../lib/stats.js';
import { devices, send } from '../lib/users.js';

const CONCURRENCY = 4;
const PAGE = 50;

export const historyScenario: Scenario = {
  name: 'history',
  title: 'History pages at depth: 10k vs 1M messages in one chat',
  async run(ctx) {
    const small = 10_000;
    const big = ctx.quick ? 100_000 : 1_000_000;
    const runMs = ctx.quick ? 2000 : 8000;
    const databaseUrl = await ctx.pg.database('history');
    const [server] = await startInstances(1, databaseUrl);
    const agent = newAgent(CONCURRENCY);
    onCleanup(() => agent.destroy());
    const [reader, b, c] = await devices(agent, server!.port, 'hist', 3);
    const chatA = await send(agent, server!.port, reader!, { user: b!.userId }, 'first');
    const chatB = await send(agent, server!.port, reader!, { user: c!.userId }, 'first');
    const db = new pg.Pool({ connectionString: databaseUrl, max: CONCURRENCY });
    onCleanup(() => db.end());
    const fill = async (chatId: number, other: number, n: number) => {
      const t0 = performance.now();
      await db.query(
        `INSERT INTO messages (chat_id, sender_id, sender_client_id, text, created_at)
         SELECT $1, CASE WHEN g % 2 = 0 THEN $2::bigint ELSE $3::bigint END, 'bulk',
                'history message number ' || g, now() - make_interval(secs => $4 - g)
         FROM generate_series(1, $4::int) g`,
        [chatId, reader!.userId, other, n],
      );
      await db.query(
        `UPDATE chats SET last_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1) WHERE id = $1`,
        [chatId],
      );
      return (performance.now() - t0) / 1000;
    };
    ctx.log(`history: inserting ${small} + ${big} messages`);
    const seconds =
      (await fill(chatA.chatId, b!.userId, small - 1)) +
      (await fill(chatB.chatId, c!.userId, big - 1));
    await db.query('VACUUM ANALYZE messages');
    // The bulk rows are contiguous ids: any of them past the first page has a full page before it.
    const ids = async (chatId: number) => {
      const { rows } = await db.query<{ lo: number; hi: number }>(
        `SELECT min(id) AS lo, max(id) AS hi FROM messages WHERE chat_id = $1 AND sender_client_id = 'bulk'`,
        [chatId],
      );
      return rows[0]!;
    };
    const [rangeA, rangeB] = [await ids(chatA.chatId), await ids(chatB.chatId)];
    ctx.note(
      `history: ${small} and ${big} messages${ctx.quick ? ' (quick; full: 1,000,000)' : ''} ` +
        `inserted in ${seconds.toFixed(1)} s; pages of ${PAGE}, ${CONCURRENCY} concurrent readers, ` +
        `${runMs / 1000} s per case in turns; OFFSET through pg (no HTTP)`,
    );

    const page = (chatId: number, query: string) => async () => {
      const res = await request(
        agent,
        server!.port,
        `/history/${chatId}?limit=${PAGE}${query}`,
        undefined,
        reader!.token,
      );
      expectStatus(res, 200, 'history');
      if ((res.body as unknown[]).length !== PAGE) throw new Error('short page');
    };
    const randomId = (r: { lo: number; hi: number }) =>
      r.lo + PAGE + Math.floor(Math.random() * (r.hi - r.lo - PAGE));
    const offsetText = `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.chat_id = $1 ORDER BY m.id DESC OFFSET $2 LIMIT ${PAGE}`;
    const offset = (chatId: number, n: number) => async () => {
      const at = Math.floor(Math.random() * (n - PAGE));
      const { rows } = await db.query({
        name: 'bench.offset',
        text: offsetText,
        values: [chatId, at],
      });
      if (rows.length !== PAGE) throw new Error('short offset page');
    };
    const cases = {
      latestA: page(chatA.chatId, ''),
      latestB: page(chatB.chatId, ''),
      deepA: () => page(chatA.chatId, `&before=${randomId(rangeA)}`)(),
      deepB: () => page(chatB.chatId, `&before=${randomId(rangeB)}`)(),
      offA: offset(chatA.chatId, small),
      offB: offset(chatB.chatId, big),
    };
    ctx.log('history: pages, every case in turns');
    await interleaved(CONCURRENCY, cases, 1200, 6);
    const r = await interleaved(CONCURRENCY, cases, runMs, ctx.quick ? 4 : 10);
    for (const [name, x] of Object.entries(r)) {
      if (x.errors) throw new Error(`${name}: ${x.firstError}`);
    }
    const { latestA, latestB, deepA, deepB, offA, offB } = r;
    const bigLabel = big >= 1_000_000 ? `${big / 1_000_000}M` : `${big / 1000}k`;
    const baselineLabel = 'latest page at 10k';
    ctx.row({
      case: `latest page, ${bigLabel}`,
      metric: 'p99',
      value: latestB.p99,
      unit: 'ms',
      baseline: latestA.p99,
      baselineLabel,
      aim: aim('ratio', '<=', 1.5),
    });
    ctx.row({
      case: `keyset at random depth, ${bigLabel}`,
      metric: 'p99',
      value: deepB.p99,
      unit: 'ms',
      baseline: latestA.p99,
      baselineLabel,
      aim: aim('ratio', '<=', 1.5),
    });
    ctx.row({
      case: 'keyset at random depth, 10k',
      metric: 'p99',
      value: deepA.p99,
      unit: 'ms',
      baseline: latestA.p99,
      baselineLabel,
    });
    // The foil: what keyset avoids. Against the same baseline, and OFFSET's own growth.
    ctx.row({
      case: `OFFSET at random depth, ${bigLabel} (foil)`,
      metric: 'p99',
      value: offB.p99,
      unit: 'ms',
      baseline: latestA.p99,
      baselineLabel,
    });
    ctx.row({
      case: 'OFFSET at random depth, 10k (foil)',
      metric: 'p99',
      value: offA.p99,
      unit: 'ms',
      baseline: latestA.p99,
      baselineLabel,
    });
    const line = (name: string, r: LoadResult) =>
      `${name} p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`;
    ctx.note(
      `history: ${[line('latest 10k', latestA), line(`latest ${bigLabel}`, latestB), line('keyset 10k', deepA), line(`keyset ${bigLabel}`, deepB), line('OFFSET 10k', offA), line(`OFFSET ${bigLabel}`, offB)].join('; ')}`,
    );
  },
};
