/**
 * Catch-up speed (v1.2): a reader away while N events happened in its chats (4 direct chats and
 * a group of 5; 80 % messages, sent through the server's own statement, 10 % edits and 10 %
 * reactions through the API, every one by a peer) catches up three ways, one client each, in
 * turns (ABC, CBA…):
 *
 * - `/sync`: `GET /sync?position=P&limit=1000` page after page until a short page;
 * - a resumed socket: `/ws?position=P`, read until the `Subscribed` frame that ends the replay;
 * - the baseline: the same chats' messages by keyset history, `GET /history/{chat_id}?after=…
 *   &limit=100` (the API's largest page) until a short page, chat after chat.
 *
 * Items per second: events for the first two, message rows for history (history has no edits or
 * reactions to read: it answers messages as they are now). Every pass must read everything: the
 * scenario fails when a pass reads another count than was made.
 */
import pg from 'pg';
import { WebSocket, type RawData } from 'ws';
import { expectStatus, newAgent, request } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { inParallel, onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { LIMITS_OFF, newSend, pgSend, type Send } from '../lib/sends.js';
import { createGroup, devices, send, type Device } from '../lib/users.js';

const SYNC_PAGE = 1000;
const HISTORY_PAGE = 100;
const PEERS = 4;

type Pass = 'sync' | 'ws' | 'history';

export const catchUpScenario: Scenario = {
  name: 'catch-up',
  title: 'Catch-up: /sync pages of 1,000 and a resumed /ws vs history pages of 100',
  async run(ctx) {
    const n = ctx.quick ? 3000 : 20_000;
    const rounds = 4;
    const edits = Math.round(n / 10);
    const reactions = Math.round(n / 10);
    const messages = n - edits - reactions;
    const databaseUrl = await ctx.pg.database('catch_up');
    const [server] = await startInstances(1, databaseUrl);
    const port = server!.port;
    const agent = newAgent(16);
    onCleanup(() => agent.destroy());
    const [reader, ...peers] = await devices(agent, port, 'catch', PEERS + 1);
    const byUser = new Map(peers.map((p) => [p.userId, p]));
    const { groupId, chatId: groupChat } = await createGroup(agent, port, peers[0]!, [
      reader!.userId,
      ...peers.map((p) => p.userId),
    ]);
    // Every chat has a message before the reader's position: history reads after it.
    const firsts = [
      ...(await Promise.all(
        peers.map((p) => send(agent, port, p, { user: reader!.userId }, 'before')),
      )),
      await send(agent, port, peers[0]!, { group: groupId }, 'before'),
    ];
    if (firsts.at(-1)!.chatId !== groupChat) throw new Error('the group message is elsewhere');
    const get = async (path: string) => {
      const res = await request(agent, port, path, undefined, reader!.token);
      return expectStatus(res, 200, `GET ${path}`).body as unknown;
    };
    const { position } = (await get('/sync')) as { position: string };

    ctx.log(`catch-up: making ${n} events`);
    const t0 = performance.now();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
    onCleanup(() => pool.end());
    const plan: Send[] = Array.from({ length: messages }, (_, k) => {
      const chat = k % (PEERS + 1);
      return chat < PEERS
        ? newSend(peers[chat]!, 'user', reader!.userId)
        : newSend(peers[k % PEERS]!, 'group', groupId);
    });
    await inParallel(plan.length, 8, (k) => pgSend(pool, LIMITS_OFF, plan[k]!));
    const sendSeconds = (performance.now() - t0) / 1000;
    const { rows: made } = await pool.query<{ id: string; sender_id: string }>(
      'SELECT id, sender_id FROM messages WHERE id > $1 ORDER BY id',
      [Math.max(...firsts.map((f) => f.id))],
    );
    if (made.length !== messages) throw new Error(`${made.length} messages made, not ${messages}`);
    const step = Math.floor(made.length / Math.max(edits, reactions));
    const change = async (i: number, what: 'edit' | 'react') => {
      const m = made[i * step]!;
      const by = byUser.get(Number(m.sender_id))!;
      const res =
        what === 'edit'
          ? await request(agent, port, `/messages/${m.id}`, { text: `edited ${i}` }, by.token, {
              method: 'PATCH',
            })
          : await request(
              agent,
              port,
              `/messages/${m.id}/reactions/${encodeURIComponent('👍')}`,
              undefined,
              by.token,
              { method: 'PUT' },
            );
      expectStatus(res, 200, what);
    };
    await inParallel(edits, 8, (i) => change(i, 'edit'));
    await inParallel(reactions, 8, (i) => change(i, 'react'));
    const makeSeconds = (performance.now() - t0) / 1000;

    const passes: Record<Pass, () => Promise<number>> = {
      async sync() {
        let at = position;
        let count = 0;
        for (;;) {
          const page = (await get(
            `/sync?limit=${SYNC_PAGE}&position=${encodeURIComponent(at)}`,
          )) as { events: unknown[]; position: string };
          count += page.events.length;
          at = page.position;
          if (page.events.length < SYNC_PAGE) return count;
        }
      },
      ws: () => replay(port, reader!, position),
      async history() {
        let count = 0;
        for (const first of firsts) {
          let after = first.id;
          for (;;) {
            const page = (await get(
              `/history/${first.chatId}?limit=${HISTORY_PAGE}&after=${after}`,
            )) as { id: number }[];
            count += page.length;
            if (page.length < HISTORY_PAGE) break;
            after = page.at(-1)!.id;
          }
        }
        return count;
      },
    };
    const expected: Record<Pass, number> = { sync: n, ws: n, history: messages };
    const totals: Record<Pass, { items: number; seconds: number; runs: number[] }> = {
      sync: { items: 0, seconds: 0, runs: [] },
      ws: { items: 0, seconds: 0, runs: [] },
      history: { items: 0, seconds: 0, runs: [] },
    };
    const run = async (name: Pass, keep: boolean) => {
      const start = performance.now();
      const count = await passes[name]();
      const seconds = (performance.now() - start) / 1000;
      if (count !== expected[name]) {
        throw new Error(`${name} read ${count} items, not ${expected[name]}`);
      }
      if (keep) {
        totals[name].items += count;
        totals[name].seconds += seconds;
        totals[name].runs.push(seconds);
      }
    };
    const order: Pass[] = ['sync', 'ws', 'history'];
    ctx.log('catch-up: a warm-up pass of each');
    for (const name of order) await run(name, false);
    for (let r = 0; r < rounds; r++) {
      ctx.log(`catch-up: round ${r + 1} of ${rounds}`);
      for (const name of r % 2 === 0 ? order : [...order].reverse()) await run(name, true);
    }

    const rate = (p: Pass) => totals[p].items / totals[p].seconds;
    const baselineLabel = 'history, pages of 100, rows/s';
    ctx.row({
      case: `${n} events, /sync pages of ${SYNC_PAGE}`,
      metric: 'events/s',
      value: rate('sync'),
      unit: '/s',
      baseline: rate('history'),
      baselineLabel,
      aim: aim('ratio', '>=', 1),
    });
    ctx.row({
      case: `${n} events, /ws?position= replay`,
      metric: 'events/s',
      value: rate('ws'),
      unit: '/s',
      baseline: rate('history'),
      baselineLabel,
      aim: aim('ratio', '>=', 1),
    });
    const passText = (p: Pass) =>
      `${p} ${totals[p].runs.map((s) => `${s.toFixed(2)} s`).join(', ')} ` +
      `(${rate(p).toFixed(0)} ${p === 'history' ? 'rows' : 'events'}/s)`;
    ctx.note(
      `catch-up: ${n} events${ctx.quick ? ' (quick; full: 20,000)' : ''} in 5 chats of the ` +
        `reader (4 direct, a group of 5): ${messages} messages, ${edits} edits, ${reactions} ` +
        `reactions, made in ${makeSeconds.toFixed(1)} s (the messages ${sendSeconds.toFixed(1)} s); history reads the ${messages} messages ` +
        `(pages of ${HISTORY_PAGE}, the API's largest), /sync pages of ${SYNC_PAGE}; one client ` +
        `each, ${rounds} passes each in turns after a warm-up pass; ${(['sync', 'ws', 'history'] as const).map(passText).join('; ')}`,
    );
  },
};

/**
 * Opens `/ws?position=`, counts the replayed frames until `Subscribed`: the count. The socket is
 * closed then, without waiting for the close handshake (not part of catching up).
 */
function replay(port: number, reader: Device, position: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?position=${encodeURIComponent(position)}`, {
    headers: { authorization: `Bearer ${reader.token}` },
    perMessageDeflate: false,
  });
  return new Promise<number>((resolve, reject) => {
    let count = 0;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`replay: no Subscribed after ${count} frames in 120 s`));
    }, 120_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('message', (data: RawData) => {
      const frame = JSON.parse((data as Buffer).toString('utf8')) as { type: string; seq?: number };
      if (frame.type !== 'Subscribed') {
        if (frame.seq !== undefined) count++;
        return;
      }
      clearTimeout(timer);
      ws.removeAllListeners('error');
      ws.on('error', () => undefined);
      ws.close();
      resolve(count);
    });
    ws.once('unexpected-response', (_req, res) =>
      fail(new Error(`replay: refused with ${res.statusCode}`)),
    );
    ws.once('error', fail);
  });
}
