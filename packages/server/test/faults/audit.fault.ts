/**
 * The audit itself, on made-up logs: a clean history passes, and each broken promise is caught
 * and counted (so a scenario that passes means something).
 */
import { expect } from 'chai';
import { Audit, describeReport, type DbMessage } from '../support/audit.js';

const MEMBERS = [
  { chat_id: 1, user_id: 10 },
  { chat_id: 1, user_id: 20 },
  { chat_id: 2, user_id: 10 },
  { chat_id: 2, user_id: 30 },
];

/** Ana (10) sends `count` messages to Bob (20) in chat 1, each answered 201. */
function history(count: number) {
  const audit = new Audit('t');
  const rows: DbMessage[] = [];
  for (let i = 1; i <= count; i++) {
    const text = audit.text('ana', i);
    audit.attempt({ sender: 'ana', senderId: 10, target: { user: 20 }, text, operationId: i });
    audit.exchange({ sender: 'ana', host: 'h', operationId: i, text, status: 201, messageId: i });
    audit.acknowledged(text, { id: i, chat_id: 1 });
    rows.push({ id: i, chat_id: 1, sender_id: 10, sender_client_id: 'ana', text });
  }
  audit.subscriber('bob', { userId: 20, clientId: 'bob' });
  audit.subscriber('cy', { userId: 30, clientId: 'cy' });
  return { audit, rows };
}

describe('fault audit (support/audit.ts)', () => {
  it('when every acknowledged message is stored and received once then the report is clean', async () => {
    const { audit, rows } = history(3);
    audit.useDatabase(rows, MEMBERS);
    for (const r of rows) audit.received('bob', r);
    expect(await audit.drain(100)).to.be.at.least(0);
    const report = audit.check();
    expect(report.problems, describeReport(report)).to.deep.equal([]);
    expect(report.counts).to.include({
      attempted: 3,
      acknowledged: 3,
      delivered: 3,
      lost: 0,
      duplicated: 0,
      fiveXx: 0,
      received: 3,
    });
    // cy is in no chat of these messages: it expects nothing.
    expect(report.subscribers.cy).to.deep.include({ expected: 0, missing: [] });
  });

  it('when an acknowledged message is not stored then it is lost', () => {
    const { audit, rows } = history(3);
    audit.useDatabase(rows.slice(0, 2), MEMBERS);
    for (const r of rows.slice(0, 2)) audit.received('bob', r);
    const report = audit.check();
    expect(report.counts.lost).to.equal(1);
    expect(report.problems.join('\n')).to.match(/acknowledged but not in the database \(1\): #3/);
  });

  it('when a subscriber misses or repeats messages then both are counted, after a bounded drain', async () => {
    const { audit, rows } = history(4);
    audit.useDatabase(rows, MEMBERS);
    audit.received('bob', rows[0]!);
    audit.received('bob', rows[0]!);
    audit.received('bob', rows[3]!);
    const t0 = Date.now();
    expect(await audit.drain(300)).to.equal(-1);
    expect(Date.now() - t0).to.be.below(5000);
    const report = audit.check();
    expect(report.counts).to.include({ lost: 2, duplicated: 1 });
    expect(report.subscribers.bob).to.deep.include({ missing: [2, 3], repeated: [1] });
    expect(report.problems.join('\n')).to.match(/bob is missing 2 of 4 messages: #2 chat 1, #3/);
  });

  it('when a message is stored twice, or stored but never attempted, then it is reported', () => {
    const { audit, rows } = history(2);
    const extra = { ...rows[1]!, id: 3 };
    const stranger = { id: 4, chat_id: 1, sender_id: 10, sender_client_id: 'x', text: 't|ghost|1' };
    audit.useDatabase([...rows, extra, stranger], MEMBERS);
    for (const r of [...rows, extra, stranger]) audit.received('bob', r);
    const report = audit.check();
    expect(report.counts.duplicated).to.equal(1);
    expect(report.counts.unattempted).to.equal(1);
    expect(report.problems.join('\n')).to.match(/stored more than once \(1\)/);
    expect(report.problems.join('\n')).to.match(/never attempted by that sender \(1\): #4/);
  });

  it('when a send is acknowledged after only 5xx answers then it is a 5xx taken for a success', () => {
    const audit = new Audit('t');
    const text = audit.text('ana', 1);
    audit.attempt({ sender: 'ana', senderId: 10, target: { user: 20 }, text, operationId: 1 });
    audit.exchange({ sender: 'ana', host: 'h', operationId: 1, text, status: 503 });
    audit.exchange({
      sender: 'ana',
      host: 'h',
      operationId: 1,
      text,
      status: 0,
      error: 'ECONNRESET',
    });
    audit.acknowledged(text, { id: 7, chat_id: 1 });
    audit.useDatabase(
      [{ id: 7, chat_id: 1, sender_id: 10, sender_client_id: 'ana', text }],
      MEMBERS,
    );
    const report = audit.check();
    expect(report.counts).to.include({ fiveXx: 1, networkErrors: 1, fiveXxTakenAsSuccess: 1 });
  });

  it('when only 5xx and replays answered a send and its message exists then a 5xx had an effect', () => {
    const audit = new Audit('t');
    const text = audit.text('ana', 1);
    audit.attempt({ sender: 'ana', senderId: 10, target: { user: 20 }, text, operationId: 1 });
    audit.exchange({ sender: 'ana', host: 'h', operationId: 1, text, status: 500 });
    audit.exchange({
      sender: 'ana',
      host: 'h',
      operationId: 1,
      text,
      status: 200,
      messageId: 7,
      isReplayed: true,
    });
    audit.acknowledged(text, { id: 7, chat_id: 1 });
    audit.useDatabase(
      [{ id: 7, chat_id: 1, sender_id: 10, sender_client_id: 'ana', text }],
      MEMBERS,
    );
    const report = audit.check();
    expect(report.counts).to.include({ fiveXxWithEffect: 1, fiveXxTakenAsSuccess: 0 });
  });

  it('when a subscriber subscribed from a cursor then it expects only what follows it', () => {
    const { audit, rows } = history(3);
    audit.subscriber('bob-late', { userId: 20, clientId: 'bob-late', chatId: 1, after: 2 });
    audit.useDatabase(rows, MEMBERS);
    for (const r of rows) audit.received('bob', r);
    audit.received('bob-late', rows[2]!);
    expect(audit.check().problems).to.deep.equal([]);
  });
});
