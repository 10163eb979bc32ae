/**
 * Files (v1.3): one 100 MiB file (32 MiB with --quick) uploaded in one request (`POST /files`)
 * and downloaded (`GET /files/{id}`) by one msgr instance (a process), against the same bytes
 * POSTed to and streamed back by a bare Node `http` server in a process of its own
 * (child/bare-files.ts: writes the body to a file, streams it back). Throughput ratio aim ≥ 0.8
 * each way, per store (`postgres`, the default, and `fs:`). While msgr transfers, its RSS is
 * sampled every 50 ms: the growth over its RSS before (after a GC) must stay under 32 MiB — no
 * file is ever held whole in memory. Then the cost of a send carrying 3 attachments against a
 * plain send (sequential, mean latency).
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnChild, startInstances, type Child } from '../lib/processes.js';
import { onCleanup, sleep } from '../lib/run.js';
import { aim, type Context, type Scenario } from '../lib/scenario.js';
import { expectStatus, newAgent, request, type HttpAgent } from '../lib/http.js';
import { devices, nextOperationId, type Device } from '../lib/users.js';

const MIB = 1024 * 1024;
const SLICE = MIB;

/** Keep-alive `node:http` connections for {@link upload} and {@link download}, closed at cleanup. */
function streamAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  onCleanup(() => agent.destroy());
  return agent;
}

/** POSTs `data` (its length declared), written in slices with back-pressure; answers ms. */
function upload(
  agent: http.Agent,
  port: number,
  urlPath: string,
  data: Buffer,
  token?: string,
  { method = 'POST', headers = {} }: { method?: string; headers?: http.OutgoingHttpHeaders } = {},
): Promise<{ ms: number; status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': data.length,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            ms: performance.now() - t0,
            status: res.statusCode!,
            body,
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    let at = 0;
    const write = () => {
      while (at < data.length) {
        const slice = data.subarray(at, at + SLICE);
        at += slice.length;
        if (!req.write(slice)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** GETs `urlPath`, counting the bytes; answers ms. */
function download(
  agent: http.Agent,
  port: number,
  urlPath: string,
  token?: string,
): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port,
          path: urlPath,
          agent,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve({ ms: performance.now() - t0, bytes })
              : reject(new Error(`download: ${res.statusCode}`)),
          );
          res.on('error', reject);
        },
      )
      .on('error', reject);
  });
}

/** The largest RSS `child` reaches while `work` runs (sampled every 50 ms). */
async function peakRss<T>(
  child: Child,
  work: () => Promise<T>,
): Promise<{ result: T; peak: number }> {
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await child.stats()).rss);
      await sleep(50);
    }
  })();
  try {
    const result = await work();
    return { result, peak };
  } finally {
    sampling = false;
    await sampler;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mibPerSecond = (bytes: number, ms: number) => bytes / MIB / (ms / 1000);

async function transfers(
  ctx: Context,
  store: string,
  env: Record<string, string>,
  data: Buffer,
  rounds: number,
): Promise<void> {
  const databaseUrl = await ctx.pg.database(`files_${store}`);
  const [server] = await startInstances(1, databaseUrl, {
    execArgv: ['--expose-gc'],
    env: { UPLOAD_MAX_BYTES: String(data.length + MIB), UPLOAD_QUOTA_BYTES: '0', ...env },
  });
  const bare = await spawnChild('bare-files', { label: 'bare http' });
  const agent = newAgent(4);
  onCleanup(() => agent.destroy());
  const streams = streamAgent();
  const [me] = await devices(agent, server!.port, `files-${store}`, 1);
  const token = me!.token;

  await server!.call('gc');
  await sleep(200);
  const before = (await server!.stats()).rss;
  const ours = { up: [] as number[], down: [] as number[], tus: [] as number[] };
  const theirs = { up: [] as number[], down: [] as number[], tus: [] as number[] };
  let peak = before;
  for (let round = 0; round < rounds; round++) {
    const b = await upload(streams, bare.port, '/', data);
    theirs.up.push(mibPerSecond(data.length, b.ms));
    theirs.down.push(mibPerSecond(data.length, (await download(streams, bare.port, '/')).ms));
    const measured = await peakRss(server!, async () => {
      const up = await upload(streams, server!.port, `/files?name=big-${round}.bin`, data, token);
      if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.body}`);
      const id = (JSON.parse(up.body) as { id: string }).id;
      const down = await download(streams, server!.port, `/files/${id}`, token);
      if (down.bytes !== data.length) throw new Error(`download: ${down.bytes} bytes`);
      // The same bytes with tus: a creation, then one PATCH of the whole file.
      const tus = { 'tus-resumable': '1.0.0' };
      const created = await upload(streams, server!.port, '/uploads', Buffer.alloc(0), token, {
        headers: { ...tus, 'upload-length': String(data.length) },
      });
      const t0 = performance.now();
      const patched = await upload(streams, server!.port, created.headers.location!, data, token, {
        method: 'PATCH',
        headers: {
          ...tus,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': '0',
        },
      });
      if (patched.status !== 204 || !patched.headers['msgr-file-id']) {
        throw new Error(`tus: ${patched.status} ${patched.body}`);
      }
      return { up: up.ms, down: down.ms, tus: performance.now() - t0 };
    });
    peak = Math.max(peak, measured.peak);
    ours.up.push(mibPerSecond(data.length, measured.result.up));
    ours.down.push(mibPerSecond(data.length, measured.result.down));
    ours.tus.push(mibPerSecond(data.length, measured.result.tus));
    theirs.tus.push(theirs.up.at(-1)!);
  }
  const size = `${Math.round(data.length / MIB)} MiB`;
  for (const [way, label] of [
    ['up', 'upload (POST /files)'],
    ['down', 'download (GET /files/{id})'],
    ['tus', 'upload (tus, one PATCH)'],
  ] as const) {
    ctx.row({
      case: `${store} store, ${size}, ${label}`,
      metric: 'throughput',
      value: median(ours[way]),
      unit: 'MiB/s',
      baseline: median(theirs[way]),
      baselineLabel: 'bare node http, same bytes',
      aim: aim('ratio', '>=', 0.8),
    });
  }
  ctx.row({
    case: `${store} store, ${size}, while transferring`,
    metric: 'RSS growth',
    value: (peak - before) / MIB,
    unit: 'MiB',
    baseline: before / MIB,
    baselineLabel: 'RSS before',
    aim: aim('value', '<=', 32),
  });
  ctx.note(
    `${store}: median of ${rounds} rounds; msgr up ${ours.up.map((v) => v.toFixed(0)).join('/')}, down ${ours.down.map((v) => v.toFixed(0)).join('/')} MiB/s; bare up ${theirs.up.map((v) => v.toFixed(0)).join('/')}, down ${theirs.down.map((v) => v.toFixed(0)).join('/')} MiB/s`,
  );
  await bare.stop();
  await server!.stop();
}

/** Mean latency of `n` sequential sends from `from` to `to`, with `attachments` or none. */
async function sends(
  agent: HttpAgent,
  port: number,
  from: Device,
  to: Device,
  n: number,
  attachments: string[],
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const body = {
      text: `file ${i}`,
      operation_id: nextOperationId(from),
      ...(attachments.length ? { attachments } : {}),
    };
    expectStatus(
      await request(agent, port, `/messages/user/${to.userId}`, body, from.token),
      201,
      'send',
    );
  }
  return (performance.now() - t0) / n;
}

async function attachmentCost(ctx: Context): Promise<void> {
  const databaseUrl = await ctx.pg.database('files_sends');
  const [server] = await startInstances(1, databaseUrl);
  const agent = newAgent(4);
  onCleanup(() => agent.destroy());
  const streams = streamAgent();
  const [from, to] = await devices(agent, server!.port, 'attach', 2);
  const ids: string[] = [];
  for (const name of ['a.txt', 'b.png', 'c.pdf']) {
    const up = await upload(
      streams,
      server!.port,
      `/files?name=${name}`,
      randomBytes(20_000),
      from!.token,
    );
    ids.push((JSON.parse(up.body) as { id: string }).id);
  }
  const n = ctx.quick ? 100 : 400;
  await sends(agent, server!.port, from!, to!, 20, ids); // warm-up
  const plain: number[] = [];
  const attached: number[] = [];
  for (let round = 0; round < 4; round++) {
    plain.push(await sends(agent, server!.port, from!, to!, n / 4, []));
    attached.push(await sends(agent, server!.port, from!, to!, n / 4, ids));
  }
  ctx.row({
    case: `${n} sequential sends, 3 attachments each`,
    metric: 'mean latency',
    value: median(attached),
    unit: 'ms',
    baseline: median(plain),
    baselineLabel: 'plain send, same run',
  });
  await server!.stop();
}

export const filesScenario: Scenario = {
  name: 'files',
  title: 'Files: upload/download throughput and memory against bare http, attachments on sends',
  async run(ctx) {
    const size = (ctx.quick ? 32 : 100) * MIB;
    const rounds = ctx.quick ? 2 : 3;
    const data = randomBytes(size);
    const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-bench-files-'));
    onCleanup(() => fsp.rm(folder, { recursive: true, force: true }));
    ctx.log(`files: ${size / MIB} MiB, postgres store`);
    await transfers(ctx, 'postgres', {}, data, rounds);
    ctx.log(`files: ${size / MIB} MiB, fs store`);
    await transfers(ctx, 'fs', { FILE_STORE: `fs:${folder}` }, data, rounds);
    ctx.log('files: sends with attachments');
    await attachmentCost(ctx);
  },
};
