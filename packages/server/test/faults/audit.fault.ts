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

  describe('changes (support/change-audit.ts)', () => {
    const edit = (id: number, text: string) => ({
      type: 'MessageEdited',
      message: { id, chat_id: 1, text },
    });
    const rename = (name: string) => ({ type: 'ChatUpdated', chat_id: 1, group_id: 1, name });

    /** Two changes tried and acknowledged, a subscriber that should get both. */
    function changes() {
      const audit = new Audit('t');
      audit.changes.attempt('e', { label: 'ana', kind: 'edit', key: 'MessageEdited 5 fixed' });
      audit.changes.acknowledged('e');
      audit.changes.attempt('r', { label: 'ana', kind: 'rename', key: 'ChatUpdated 1 team' });
      audit.changes.failed('r', { status: 503, code: 'database_unavailable' });
      audit.changes.attempt('r', { label: 'ana', kind: 'rename', key: 'ChatUpdated 1 team' });
      audit.changes.acknowledged('r');
      audit.changes.subscriber('bob', () => Promise.resolve([]));
      audit.useDatabase([], MEMBERS);
      return audit;
    }

    it('when every acknowledged change is logged and received once then the report is clean', () => {
      const audit = changes();
      const logged = [edit(5, 'fixed'), rename('team')];
      audit.changes.useLog(logged, { bob: logged });
      for (const e of logged) audit.changes.received('bob', e);
      const report = audit.check();
      expect(report.problems, describeReport(report)).to.deep.equal([]);
      expect(report.counts).to.include({
        changesAttempted: 2,
        changesAcknowledged: 2,
        changesDelivered: 2,
        changesLost: 0,
        changesDuplicated: 0,
        changesReceived: 2,
      });
    });

    it('when an acknowledged change is not logged, or a subscriber misses, repeats or gets a stranger, then each is reported', () => {
      const audit = changes();
      audit.changes.useLog([edit(5, 'fixed')], { bob: [edit(5, 'fixed')] });
      audit.changes.received('bob', edit(5, 'fixed'));
      audit.changes.received('bob', edit(5, 'fixed'));
      audit.changes.received('bob', rename('ghost'));
      const report = audit.check();
      expect(report.counts).to.include({ changesLost: 1, changesDuplicated: 1, changesForeign: 1 });
      const text = report.problems.join('\n');
      expect(text).to.match(
        /changes acknowledged but not in the log \(1\): ana rename: ChatUpdated 1 team/,
      );
      expect(text).to.match(/bob got changes twice: MessageEdited 5 fixed ×2/);
      expect(text).to.match(/bob got changes the log does not hold for it: ChatUpdated 1 ghost/);

      const missed = changes();
      const logged = [edit(5, 'fixed'), rename('team')];
      missed.changes.useLog(logged, { bob: logged });
      missed.changes.received('bob', edit(5, 'fixed'));
      expect(missed.check().problems.join('\n')).to.match(
        /bob is missing 1 of 2 changes: ChatUpdated 1 team/,
      );
    });
  });
});
