/**
 * A consumer that never reads, on a busy chat: a raw WebSocket client completes the upgrade of
 * `/ws/{chat_id}` and then stops reading (its socket paused: the kernel's buffers fill, then the
 * server's). Writers flood the chat with big messages, well past the server's hard limit for
 * one socket's backlog. Promised (contract, "WebSocket"): the server closes that socket with
 * 1013 instead of growing its memory, its RSS stays within a generous bound, the other
 * subscribers are not held back, and the slow client resumes (`subscribe({ chatId, after })`)
 * without losing a message.
 *
 * Node cannot shrink a TCP socket's receive buffer (no SO_RCVBUF), so "tiny" is the kernel's
 * default for a reader that never reads (autotuning does not grow it); the flood is sized to
 * exceed the server's hard limit (16 MiB) plus what loopback kernel buffers can hold.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import {
  sleep,
  startFaultCluster,
  waitFor,
  withPg,
  type FaultCluster,
} from '../support/fault-cluster.js';
import {
  Api,
  buildWorld,
  OperationIdPool,
  rotate,
  startSenders,
  startSubscriber,
  type RunningSubscriber,
  type SenderSpec,
} from '../support/fault-workload.js';

const NAME = 'slow consumer';
const MiB = 1024 * 1024;
/** The server's hard limit (16 MiB), plus room for kernel buffers on both ends, plus margin. */
const FLOOD_BYTES = 24 * MiB;
/** Server memory may grow this much over its baseline while flooded. */
const RSS_GROWTH_BOUND = 150 * MiB;
/** 3,900 code points of a 3-byte character: ~11.7 KB a message, under the 4,000 limit. */
const PADDING = '€'.repeat(3900);

interface Frame {
  opcode: number;
  payload: Buffer;
}

/** How many sockets the instance at `url` has closed with 1013 (its Prometheus counter). */
async function tooFarBehindCloses(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('msgr_ws_server_closes_total{code="1013"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** A WebSocket client that reads nothing until told to. */
async function stalledSocket(baseUrl: string, path: string, token: string) {
  const { port } = new URL(baseUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Authorization: Bearer ${token}`,
      '',
      '',
    ].join('\r\n'),
  );
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      // From here on nothing is read: the server's frames pile up.
      socket.pause();
      const head = buffered.subarray(0, end).toString();
      buffered = buffered.subarray(end + 4);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return {
    /** Reads again, parses frames until a close frame (or `timeoutMs`); returns all frames. */
    async readUntilClose(timeoutMs: number): Promise<{ frames: Frame[]; bytes: number }> {
      const frames: Frame[] = [];
      let bytes = buffered.length;
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve({ frames, bytes });
        };
        const timer = setTimeout(finish, timeoutMs);
        const parse = () => {
          for (;;) {
            if (buffered.length < 2) return;
            const opcode = buffered[0]! & 0x0f;
            let length = buffered[1]! & 0x7f;
            let offset = 2;
            if (length === 126) {
              if (buffered.length < 4) return;
              length = buffered.readUInt16BE(2);
              offset = 4;
            } else if (length === 127) {
              if (buffered.length < 10) return;
              length = Number(buffered.readBigUInt64BE(2));
              offset = 10;
            }
            if (buffered.length < offset + length) return;
            frames.push({ opcode, payload: buffered.subarray(offset, offset + length) });
            buffered = buffered.subarray(offset + length);
            if (opcode === 0x8) return finish();
          }
        };
        socket.on('data', (d: Buffer) => {
          bytes += d.length;
          buffered = Buffer.concat([buffered, d]);
          parse();
        });
        socket.on('close', finish);
        socket.on('error', () => undefined);
        parse();
        socket.resume();
      });
    },
    destroy: () => socket.destroy(),
  };
}

describe('faults: slow consumer', function () {
  this.timeout(150_000);
  let cluster: FaultCluster;
  const subscribers: RunningSubscriber[] = [];

  before(async () => {
    // Heartbeats would end the stalled socket on their own (its pongs are never read): the
    // back-pressure limit must be what closes it.
    cluster = await startFaultCluster('slow-consumer', { env: { WS_HEARTBEAT_MS: '600000' } });
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  it(`${NAME}: a reader that never reads on a busy chat is closed with 1013, memory stays bounded, it resumes without loss`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('slow');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances, databaseUrl } = cluster;
    const world = await buildWorld(audit, new Api(urls[1]!), opIds, {
      people: ['ana', 'ben', 'cy', 'dee'],
      groups: [[0, 1, 2, 3]],
    });
    const [ana, ben, cy, dee] = world.people;
    const busy = world.chats[0]!;
    const slowInstance = instances[0]!;
    // Healthy readers of the same chat, on the slow socket's instance and another.
    subscribers.push(
      await startSubscriber(audit, {
        label: 'ben/busy-chat',
        person: ben!,
        hosts: [urls[0]!],
        chatId: busy.chatId,
      }),
      await startSubscriber(audit, { label: 'cy/all', person: cy!, hosts: [urls[2]!] }),
    );

    const slowSession = await new Api(urls[0]!).login(dee!.email, dee!.password, 'slow-reader');
    const stalled = await stalledSocket(urls[0]!, `/ws/${busy.chatId}`, slowSession.token);
    const startId = await withPg(databaseUrl, async (c) => {
      const { rows } = await c.query('SELECT coalesce(max(id), 0)::int AS id FROM messages');
      return rows[0].id as number;
    });
    audit.subscriber('dee/slow', {
      userId: dee!.userId,
      clientId: 'slow-reader',
      chatId: busy.chatId,
      after: startId,
    });

    const baselineRss = (await slowInstance.rssBytes()) ?? 0;
    let peakRss = baselineRss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, (await slowInstance.rssBytes()) ?? 0);
        await sleep(200);
      }
    })();

    const specs: SenderSpec[] = [ana!, ben!, cy!].flatMap((person, i) =>
      (['race', 'failover'] as const).map((strategy) => ({
        label: `${person.label}/${strategy}`,
        person,
        strategy,
        hosts: rotate(urls, i),
        chats: [busy],
        padding: PADDING,
      })),
    );
    const frameBytes = Buffer.byteLength(PADDING) + 250;
    const senders = await startSenders(audit, world, specs, opIds);
    const floodStart = Date.now();
    try {
      // Past FLOOD_BYTES, and on until the instance gives the stalled socket up: kernel
      // buffers (tcp_rmem may reach 32 MiB here) can take megabytes off the server's queue,
      // so how much it takes to stay "behind" differs from machine to machine. The instance
      // counts the sockets it closes by code (msgr_ws_server_closes_total).
      await waitFor(
        `${FLOOD_BYTES / MiB} MiB of messages into the busy chat, and a 1013 close`,
        async () =>
          senders.acknowledged * frameBytes >= FLOOD_BYTES &&
          (await tooFarBehindCloses(urls[0]!)) > 0
            ? true
            : undefined,
        { timeoutMs: 90_000, everyMs: 200 },
      );
    } finally {
      await senders.stop();
      sampling = false;
      await sampler;
    }
    checks.observe('flood_ms', Date.now() - floodStart);
    checks.observe('flood_mib', Math.round((senders.acknowledged * frameBytes) / MiB));
    checks.observe('rss_baseline_mib', Math.round(baselineRss / MiB));
    checks.observe('rss_peak_mib', Math.round(peakRss / MiB));
    checks.expect(
      peakRss - baselineRss <= RSS_GROWTH_BOUND,
      `the instance's memory grew by ${Math.round((peakRss - baselineRss) / MiB)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`,
    );

    // Now read what the server left in the pipe: messages, then its close frame.
    const { frames, bytes } = await stalled.readUntilClose(30_000);
    const close = frames.find((f) => f.opcode === 0x8);
    const code = close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
    let lastId = startId;
    for (const f of frames) {
      if (f.opcode !== 0x1) continue;
      const event = JSON.parse(f.payload.toString()) as { type: string; message?: any };
      if (event.type !== 'Message') continue;
      audit.received('dee/slow', event.message);
      lastId = Math.max(lastId, event.message.id as number);
    }
    checks.observe('slow_socket_close_code', code ?? 'none');
    checks.observe('slow_socket_read_mib', Math.round(bytes / MiB));
    checks.observe('slow_socket_messages_before_close', audit.inboxOf('dee/slow').length);
    checks.expect(
      code === 1013,
      code === undefined
        ? `the stalled socket was never closed (read ${Math.round(bytes / MiB)} MiB, no close frame): the server kept buffering for it`
        : `the stalled socket was closed with ${code}, not 1013`,
    );

    checks.expect(
      bytes < senders.acknowledged * frameBytes,
      `the stalled socket was sent all ${Math.round(bytes / MiB)} MiB of the flood: nothing stopped the server queueing for it`,
    );

    // It resumes where its last frame left it.
    const resumed = await startSubscriber(audit, {
      label: 'dee/slow',
      person: dee!,
      hosts: [urls[0]!],
      chatId: busy.chatId,
      after: lastId,
      isResume: true,
    });
    subscribers.push(resumed);
    await finishScenario({
      audit,
      databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
    });
  });
});
