/**
 * Two devices of one user whose operation-id counters walk the same stretch of ids (the worst
 * case of random starts): every send still lands exactly once. On `operation_id_conflict` the
 * client's source jumps to a new random place, so it stops meeting the other device's ids
 * instead of conflicting on each next one until its retries run out.
 */
import { expect } from 'chai';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MessengerClient } from '../src/index.js';
import { OperationIds } from '../src/operation-ids.js';

describe('@msgr/sdk: two devices of one user on the same operation ids', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  before(async () => {
    servers = await startServerProcesses(1);
  });
  after(() => servers.close());

  it('when both counters start at the same id then all their sends land, each once', async () => {
    const email = `twin-${Date.now()}@example.com`;
    const setup = new MessengerClient({ hosts: servers.urls });
    const me = await setup.register({ email, name: 'Twin', password: 'password123' });
    /** A device whose counter starts at id 100, then draws at random after a conflict. */
    const device = async (clientId: string) => {
      let isFirst = true;
      const random = () => (isFirst ? ((isFirst = false), (100 + 32_768) / 65_536) : Math.random());
      const client = new MessengerClient({
        hosts: servers.urls,
        operationIds: new OperationIds(300_000, random),
      });
      await client.login({ email, password: 'password123', clientId });
      return client;
    };
    const [a, b] = [await device('a'), await device('b')];
    // a takes ids 100..139 first: b, starting at 100 too, meets 40 taken ids in a row.
    for (let i = 0; i < 40; i++) await a.sendToUser(me.id, `a${i}`);
    const sent = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => b.send({ userId: me.id }, `b${i}`)),
      ...Array.from({ length: 10 }, (_, i) => a.send({ userId: me.id }, `a${40 + i}`)),
    ]);
    expect(sent.every((r) => !r.isReplay)).to.equal(true);
    expect(new Set(sent.map((r) => r.message.id)).size).to.equal(20);
    const chatId = sent[0]!.message.chat_id;
    const texts = [];
    for await (const m of a.iterateHistory(chatId)) texts.push(m.text);
    expect(texts).to.have.length(60);
    expect(new Set(texts).size).to.equal(60);
  });
});
