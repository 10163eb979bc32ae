/**
 * Resumable uploads under a bad network and a dying instance (contract v1.3): uploaders speak
 * tus to three instances through proxies that reset every connection at random moments (so
 * PATCHes are cut at random offsets), and one instance is killed (SIGKILL) mid-run and comes
 * back. Each uploader behaves as a tus client does: HEAD for the offset, PATCH from there, on
 * any failure the next instance. Promised: every upload completes, every file's bytes match
 * what was sent (sha256), and once the sweep has run no byte is kept that no file owns.
 * `FAULTS_SEED` repeats a run's cut schedule; `FAULTS_SCALE` multiplies uploaders and sizes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { recordScenario } from '../support/audit.js';
import { Checks, scenarioName } from '../support/fault-scenario.js';
import {
  sleep,
  startFaultCluster,
  waitFor,
  withPg,
  type FaultCluster,
} from '../support/fault-cluster.js';
import { Api, random, scaled, SEED } from '../support/fault-workload.js';
import { listen, type NetProxy } from '../support/net-proxy.js';

const NAME = 'uploads under connection cuts and a killed instance';
const TUS = { 'tus-resumable': '1.0.0' };
/** Bytes of one PATCH: several per file, so cuts land inside and between them. */
const PATCH_BYTES = 512 * 1024;
const MIB = 1024 * 1024;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Upload {
  label: string;
  data: Buffer;
  fileId?: string;
  attempts: number;
  failures: number;
  /** Answers with a 5xx status, and requests that got no answer at all. */
  fiveXx: number;
  networkErrors: number;
}

/** One request, or undefined when the network or the instance failed it. */
async function tryFetch(
  upload: Upload,
  url: string,
  init: RequestInit,
): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    if (res.status >= 500) upload.fiveXx++;
    return res;
  } catch {
    upload.networkErrors++;
    return undefined;
  }
}

/** Uploads `upload.data` as a tus client would, over `hosts` in turn; resolves with the file id. */
async function runUpload(upload: Upload, token: string, hosts: string[]): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  let host = 0;
  const next = () => {
    upload.failures++;
    host = (host + 1) % hosts.length;
  };
  let location: string | undefined;
  const deadline = Date.now() + 90_000;
  while (!upload.fileId) {
    if (Date.now() > deadline) throw new Error(`${upload.label} never completed`);
    upload.attempts++;
    const base = hosts[host]!;
    if (!location) {
      const res = await tryFetch(upload, `${base}/uploads`, {
        method: 'POST',
        headers: {
          ...auth,
          ...TUS,
          'upload-length': String(upload.data.length),
          'upload-metadata': `filename ${Buffer.from(upload.label).toString('base64')}`,
          // A creation cut before its answer is repeated safely under its key.
          'idempotency-key': `create-${upload.label}`,
        },
      });
      if (!res || (res.status !== 201 && res.status !== 200)) {
        await res?.arrayBuffer();
        next();
        await sleep(50);
        continue;
      }
      location = res.headers.get('location')!;
      await res.arrayBuffer();
    }
    const head = await tryFetch(upload, base + location, {
      method: 'HEAD',
      headers: { ...auth, ...TUS },
    });
    if (!head || head.status !== 200) {
      if (head && (head.status === 404 || head.status === 410)) {
        throw new Error(`${upload.label}: the upload was lost (${head.status})`);
      }
      next();
      await sleep(50);
      continue;
    }
    const done = head.headers.get('msgr-file-id');
    if (done) {
      upload.fileId = done;
      break;
    }
    const offset = Number(head.headers.get('upload-offset'));
    const piece = upload.data.subarray(offset, offset + PATCH_BYTES);
    const res = await tryFetch(upload, base + location, {
      method: 'PATCH',
      headers: {
        ...auth,
        ...TUS,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(offset),
      },
      body: piece,
    });
    if (!res || res.status !== 204) {
      await res?.arrayBuffer().catch(() => undefined);
      next();
      await sleep(50);
      continue;
    }
    upload.fileId = res.headers.get('msgr-file-id') ?? undefined;
  }
}

describe('faults: uploads', function () {
  this.timeout(180_000);
  let cluster: FaultCluster;
  const proxies: NetProxy[] = [];

  before(async () => {
    cluster = await startFaultCluster('uploads', {
      instances: 3,
      env: { FILE_SWEEP_INTERVAL_MS: '200', RATE_LIMIT_UPLOADS_PER_MINUTE: '0' },
    });
    for (const i of cluster.instances) proxies.push(await listen(i.port));
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.close();
  });

  it(`${NAME}: every upload completes, every file matches, no byte is left over`, async () => {
    const startedAt = Date.now();
    const checks = new Checks();
    const rand = random(SEED);
    checks.observe('seed', SEED);
    const api = new Api(cluster.urls[1]!);
    const uploaders = scaled(6);
    const sessions = await Promise.all(
      Array.from({ length: uploaders }, (_, i) => api.newUser(`uploader${i}`)),
    );
    const uploads: Upload[] = sessions.flatMap((_, i) =>
      [0, 1].map((k) => ({
        label: `u${i}-${k}`,
        data: randomBytes(Math.round((1 + rand() * 3) * MIB)),
        attempts: 0,
        failures: 0,
        fiveXx: 0,
        networkErrors: 0,
      })),
    );
    // The same bytes twice: kept once, whatever the cuts did.
    uploads.push({
      label: 'dup',
      data: uploads[0]!.data,
      attempts: 0,
      failures: 0,
      fiveXx: 0,
      networkErrors: 0,
    });

    let cutting = true;
    let cuts = 0;
    const cutter = (async () => {
      while (cutting) {
        await sleep(40 + rand() * 200);
        cuts += proxies[Math.floor(rand() * proxies.length)]!.reset();
      }
    })();
    const victim = cluster.instances[0]!;
    const killer = (async () => {
      await sleep(1500);
      await victim.kill('SIGKILL');
      await sleep(1500);
      await victim.start();
    })();

    const hosts = proxies.map((p) => p.url);
    const results = await Promise.allSettled(
      uploads.map((u, i) =>
        runUpload(u, sessions[i === uploads.length - 1 ? 0 : Math.floor(i / 2)]!.token, [
          ...hosts.slice(i % 3),
          ...hosts.slice(0, i % 3),
        ]),
      ),
    );
    cutting = false;
    await Promise.all([cutter, killer]);
    for (const [i, r] of results.entries()) {
      checks.expect(
        r.status === 'fulfilled',
        `${uploads[i]!.label}: ${String((r as PromiseRejectedResult).reason)}`,
      );
    }

    // Every completed file holds exactly the bytes sent.
    const direct = cluster.urls[1]!;
    let matching = 0;
    for (const [i, u] of uploads.entries()) {
      if (!u.fileId) continue;
      const owner = sessions[i === uploads.length - 1 ? 0 : Math.floor(i / 2)]!;
      const res = await fetch(`${direct}/files/${u.fileId}`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      const got = Buffer.from(await res.arrayBuffer());
      if (res.status === 200 && sha256(got) === sha256(u.data)) matching++;
      checks.expect(
        res.status === 200 && sha256(got) === sha256(u.data),
        `${u.label}: file ${u.fileId} answered ${res.status} with sha256 ${sha256(got)}, sent ${sha256(u.data)}`,
      );
    }

    // Let every upload row expire now; the leader's sweep must leave only what files own.
    await withPg(cluster.databaseUrl, (db) => db.query(`UPDATE uploads SET expires_at = now()`));
    const left = await waitFor(
      'the sweep',
      () =>
        withPg(cluster.databaseUrl, async (db) => {
          const { rows } = await db.query<{
            uploads: number;
            chunk_bytes: number;
            blob_bytes: number;
            blobs: number;
          }>(`SELECT (SELECT count(*) FROM uploads)::int AS uploads,
                     (SELECT coalesce(sum(length(data)), 0) FROM file_chunks)::bigint AS chunk_bytes,
                     (SELECT coalesce(sum(size), 0) FROM file_blobs)::bigint AS blob_bytes,
                     (SELECT count(*) FROM file_blobs)::int AS blobs`);
          const row = rows[0]!;
          return row.uploads === 0 && row.chunk_bytes === row.blob_bytes ? row : undefined;
        }),
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    checks.expect(left !== undefined, 'the sweep left staged bytes or upload rows behind');
    const distinct = new Set(uploads.map((u) => sha256(u.data))).size;
    checks.expect(
      left === undefined || left.blobs === distinct,
      `${left?.blobs} blobs kept for ${distinct} distinct contents`,
    );

    const attempts = uploads.reduce((n, u) => n + u.attempts, 0);
    const failures = uploads.reduce((n, u) => n + u.failures, 0);
    checks.observe('uploads', uploads.length);
    checks.observe('connection_resets', cuts);
    checks.observe('requests', attempts);
    checks.observe('failed_requests', failures);
    checks.observe('megabytes', Math.round(uploads.reduce((n, u) => n + u.data.length, 0) / MIB));
    console.log(
      `      ${uploads.length} uploads, ${cuts} connection resets, ${failures} failed of ${attempts} requests; ${checks.problems.length} problems`,
    );
    await recordScenario(scenarioName(NAME), {
      grep: 'faults: uploads',
      passed: checks.problems.length === 0,
      durationMs: Date.now() - startedAt,
      // The report's columns: uploads attempted, file ids acknowledged, files whose bytes
      // match (delivered), the rest lost; bytes kept twice count as duplicated.
      counts: {
        attempted: uploads.length,
        acknowledged: uploads.filter((u) => u.fileId).length,
        delivered: matching,
        lost: uploads.length - matching,
        duplicated: left === undefined ? 0 : Math.max(0, left.blobs - distinct),
        fiveXx: uploads.reduce((n, u) => n + u.fiveXx, 0),
        fiveXxTakenAsSuccess: 0,
        networkErrors: uploads.reduce((n, u) => n + u.networkErrors, 0),
      },
      problems: checks.problems,
      observed: checks.observed,
    });
    if (checks.problems.length > 0) throw new Error(checks.problems.join('\n'));
  });
});
