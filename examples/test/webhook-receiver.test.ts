/**
 * The webhook receiver (examples/src/webhook-receiver.ts) as a process, fed by a real server's
 * outgoing webhook: it prints each message event once, on one terminal-safe line; it refuses
 * deliveries that the server did not sign (400) and prints a repeated delivery once.
 */
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import {
  startCluster,
  type Api,
  type Cluster,
  type Session,
} from '../../packages/server/test/support/harness.js';
import { freePort } from '../../packages/server/test/support/processes.js';
import { Program } from './support/program.js';

/** A Standard Webhooks signature, made here by hand: what only the secret's holder can make. */
function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

// Terminal controls: C0, DEL, C1, and the bidi overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding controls is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('the webhook receiver', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let receiver: Program | undefined;

  before(async () => {
    // Webhooks to 127.0.0.1 are refused unless the server is told it may call private addresses.
    cluster = await startCluster({ webhookAllowPrivate: true });
  });
  afterEach(function () {
    if ((this.currentTest?.state === 'failed' || process.env.EXAMPLES_VERBOSE) && receiver)
      console.log(receiver.transcript());
    receiver?.kill('SIGKILL');
  });
  after(async () => {
    await cluster?.close();
  });

  it('prints every message event once, safely, and refuses forged deliveries', async () => {
    const api: Api = cluster.api;
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const group = await api.newGroup(alice, [bob], 'ops');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/msgr`;
    const made = await api.post('/webhooks', { url, events: ['Message'] }, alice.token);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const secret: string = made.body.secret;
    expect(secret).to.match(/^whsec_/);

    receiver = new Program('webhook-receiver', {
      PORT: String(port),
      HOST: '127.0.0.1',
      MSGR_WEBHOOK_SECRET: secret,
    });
    await receiver.line(/^listening on port \d+$/);

    let operationId = 0;
    const say = async (from: Session, text: string) => {
      const res = await api.send({ group: group.group_id }, text, ++operationId, from.token);
      expect(res.status).to.equal(201);
      return res.body.id as number;
    };
    const texts = [
      'deploy started',
      'clear\u001b[2J\u001b]0;pwned\u0007 screen',
      'two\nlines\u202e',
    ];
    const ids: number[] = [];
    for (const text of texts) ids.push(await say(bob, text));
    // Other kinds are not asked for: an edit is not delivered.
    const edit = await api.request('PATCH', `/messages/${ids[0]}`, {
      body: { text: 'deploy started (edited)' },
      token: bob.token,
    });
    expect(edit.status).to.equal(200);
    // Events come one at a time, in order, each repeat before the next: once the last one is
    // printed, every delivery of the others has happened.
    ids.push(await say(bob, 'the end'));
    await receiver.line(/: the end$/);

    const printed = receiver.lines.filter((l) => l.startsWith('#'));
    expect(printed, receiver.transcript()).to.have.length(ids.length);
    for (const [i, id] of ids.entries()) {
      expect(printed[i]).to.match(
        new RegExp(`^#\\d+ Message chat ${group.chat_id} message ${id} from user ${bob.userId}: `),
      );
      expect(printed[i]).not.to.match(CONTROLS);
    }
    expect(printed[1]).to.match(/clear␛\[2J␛\]0;pwned␇ screen$/);
    expect(printed[2]).to.match(/two lines�$/);
    const deliveries = await api.get(`/webhooks/${made.body.id}/deliveries`, alice.token);
    expect(deliveries.status).to.equal(200);
    expect(deliveries.body.map((d: any) => d.status)).to.deep.equal(ids.map(() => 204));

    // Deliveries that do not come from the server: refused with 400, not printed.
    const message = { id: 999, chat_id: group.chat_id, sender_id: bob.userId, text: 'signed here' };
    const body = JSON.stringify({ type: 'Message', seq: 999_999, message });
    const now = Math.floor(Date.now() / 1000);
    const deliver = (headers: Record<string, string>, payload = body) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      }).then((res) => res.status);
    const headers = (id: string, signature: string, timestamp = now) => ({
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    });
    const otherSecret = `whsec_${Buffer.from('not the secret at all, 32 bytes').toString('base64')}`;
    expect(await deliver({})).to.equal(400);
    expect(
      await deliver(headers('msg_forged', sign(otherSecret, 'msg_forged', now, body))),
    ).to.equal(400);
    const tampered = body.replace('signed here', 'changed on the way');
    expect(
      await deliver(headers('msg_forged', sign(secret, 'msg_forged', now, body)), tampered),
    ).to.equal(400);
    // A real delivery recorded and played again much later.
    const old = now - 3600;
    expect(await deliver(headers('msg_old', sign(secret, 'msg_old', old, body), old))).to.equal(
      400,
    );
    expect(receiver.lines.filter((l) => l.startsWith('#'))).to.have.length(ids.length);

    // The same delivery twice (its 2xx lost on the way): answered 204 both times, printed once.
    const again = headers('msg_again', sign(secret, 'msg_again', now, body));
    expect(await deliver(again)).to.equal(204);
    expect(await deliver(again)).to.equal(204);
    expect(receiver.lines.filter((l) => l.startsWith('#999999 '))).to.deep.equal([
      `#999999 Message chat ${group.chat_id} message 999 from user ${bob.userId}: signed here`,
    ]);

    receiver.kill('SIGTERM');
    expect(await receiver.exit(10_000)).to.deep.equal({ code: 0, signal: null });
  });
});
