/**
 * The instance delivering an outgoing webhook dies mid-delivery (SIGKILL while the receiver
 * holds the request open). Promised: the other instance takes the webhook over once the lease
 * lapses and delivers the same event again with the same `webhook-id`, then the rest; every
 * event arrives, in log order, never skipped, a repeat only of the interrupted one.
 */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import type http from 'node:http';
import {
  startFaultCluster,
  until,
  waitFor,
  type FaultCluster,
  type Instance,
} from '../support/fault-cluster.js';
import { Api } from '../support/harness.js';
import { Receiver } from '../support/webhook-receiver.js';

const MESSAGES = 30;
/** The request the receiver holds open (1-based), while the test kills its sender. */
const HELD = 10;

/** The local port → socket inode of every TCP socket on this machine (/proc/net/tcp{,6}). */
async function socketInodes(): Promise<Map<number, string>> {
  const byPort = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = parseInt(fields[1]!.split(':')[1]!, 16);
      byPort.set(port, fields[9]!);
    }
  }
  return byPort;
}

/** Which of `instances` holds the client end of the connection from `clientPort`. */
async function ownerOfConnection(
  instances: Instance[],
  clientPort: number,
): Promise<Instance | undefined> {
  const inode = (await socketInodes()).get(clientPort);
  if (!inode) return undefined;
  for (const instance of instances) {
    const pid = instance.pid;
    if (pid === undefined) continue;
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (link === `socket:[${inode}]`) return instance;
    }
  }
  return undefined;
}

describe('faults: webhook sender killed mid-delivery', function () {
  this.timeout(170_000);
  let cluster: FaultCluster;
  let receiver: Receiver;

  before(async () => {
    cluster = await startFaultCluster('webhooks', {
      instances: 2,
      env: { WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver?.close();
    await cluster?.close();
  });

  it('kill -9 the delivering instance: the same event again with the same webhook-id, then the rest, in order', async () => {
    const [a, b] = cluster.urls.map((u) => new Api(u)) as [Api, Api];
    const owner = await a.newUser('fault-owner');
    const peer = await a.newUser('fault-peer');
    let held: { res: http.ServerResponse; clientPort: number } | undefined;
    receiver.answer = (res) => {
      if (receiver.received.length === HELD && !held) {
        held = { res, clientPort: res.req.socket.remotePort! };
        return; // held open: its sender is about to die
      }
      res.writeHead(200).end();
    };
    const made = await a.post('/webhooks', { url: receiver.url, events: ['Message'] }, owner.token);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const hookId = made.body.id as number;

    const sent: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const via = i % 2 ? b : a;
      const res = await via.send({ user: owner.userId }, `m${i}`, 1000 + i, peer.token);
      expect(res.status).to.be.oneOf([200, 201]);
      sent.push(res.body.id);
    }

    await until('the receiver to hold a request', () => held !== undefined, 30_000);
    const victim = await waitFor('the instance that sent it', () =>
      ownerOfConnection(cluster.instances, held!.clientPort),
    );
    const survivor = cluster.instances.find((i) => i !== victim)!;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await until('the held request to drop', () => receiver.open === 0, 10_000);

    // The survivor takes over when the lease lapses (30 s after its last renewal).
    await receiver.untilCount(MESSAGES + 1, 90_000);
    const takeoverMs = receiver.received[HELD]!.at - killedAt;
    console.log(`      (taken over ${takeoverMs} ms after the kill)`);

    const seqs = receiver.received.map((r) => Number(r.id.split('_')[2]));
    expect(receiver.received.every((r) => r.id.startsWith(`msgr_${hookId}_`))).to.equal(true);
    // In log order: never backwards…
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).to.be.at.least(seqs[i - 1]!);
    // …never skipped…
    expect([...new Set(seqs)]).to.deep.equal(sent);
    // …and repeated only where the sender died.
    expect(seqs.length).to.equal(MESSAGES + 1);
    expect(seqs[HELD - 1]).to.equal(seqs[HELD]);
    expect(seqs[HELD]).to.equal(sent[HELD - 1]);
    receiver.verifyAll(made.body.secret);

    // The survivor goes on alone, and the victim, back, shares the work without repeats.
    await victim.start();
    const more: number[] = [];
    for (let i = 0; i < 10; i++) {
      const via = new Api((i % 2 ? survivor : victim).url);
      const res = await via.send({ user: owner.userId }, `after ${i}`, 2000 + i, peer.token);
      more.push(res.body.id);
    }
    await receiver.untilCount(MESSAGES + 1 + more.length, 30_000);
    const tail = receiver.received.slice(MESSAGES + 1).map((r) => Number(r.id.split('_')[2]));
    expect(tail).to.deep.equal(more);
    const state = await new Api(survivor.url).get(`/webhooks/${hookId}`, owner.token);
    expect(state.body).to.include({ state: 'active', last_error: null });
  });
});
