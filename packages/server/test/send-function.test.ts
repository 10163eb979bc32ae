/**
 * msgr_send lives in one SQL file (src/db/sql/msgr_send.sql), which the newest migration that
 * changes it installs: the function in a migrated database is that file, word for word, and
 * the only msgr_send there is (older overloads are dropped, so no caller can skip the log).
 */
import { expect } from 'chai';
import pg from 'pg';
import { SEND_PARAMETERS, send } from '../src/db/messages-queries.js';
import { sendValues, type SendInput, type SendTarget } from '../src/domain/messages.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { functionBody, installedFunctions } from './support/sql-functions.js';

const FILE = new URL('../src/db/sql/msgr_send.sql', import.meta.url);

describe('msgr_send, one readable SQL file', () => {
  it('when a database is migrated then its msgr_send is the file, the one overload, with the parameters the server names', async () => {
    const body = functionBody(FILE);
    expect(body, 'the file holds one $$-quoted body').to.be.a('string');
    const rows = await installedFunctions('msgr_send');
    expect(rows).to.have.length(1);
    expect(rows[0]!.prosrc).to.equal(body);
    // Called by name (db/messages-queries.ts): every name the server passes is a parameter.
    const inputs = rows[0]!.names.filter((n) => n.startsWith('p_'));
    expect(inputs).to.deep.equal([...SEND_PARAMETERS]);
  });
});

describe('msgr_send, a replay or a conflict only reads its key', () => {
  let cluster: Cluster;
  let raw: pg.Client;
  let ann: Session;
  let bob: Session;
  const LIMITS = { idempotencyWindowSeconds: 300, rateLimitSendsPerMinute: 0 };
  const toBob = () => ({ kind: 'user' as const, id: bob.userId });

  before(async () => {
    cluster = await startCluster();
    ann = await cluster.api.newUser('ann');
    bob = await cluster.api.newUser('bob');
    raw = new pg.Client({ connectionString: cluster.databaseUrl });
    await raw.connect();
  });
  after(async () => {
    await raw?.end();
    await cluster?.close();
  });

  /**
   * Sends `input` from ann (to bob unless told) in a transaction of its own: its status, and whether the
   * transaction took an id (it does as soon as it writes or locks a row). Rolled back.
   */
  async function sendIn(input: SendInput, target: SendTarget = toBob()) {
    await raw.query('BEGIN');
    try {
      const { rows } = await raw.query<{ status: string; message_id: number | null }>(
        send.text,
        sendValues(LIMITS, { userId: ann.userId, clientId: 'test' }, target, input),
      );
      const { rows: xid } = await raw.query<{ x: string | null }>(
        'SELECT txid_current_if_assigned()::text AS x',
      );
      return { ...rows[0]!, wrote: xid[0]!.x !== null };
    } finally {
      await raw.query('ROLLBACK');
    }
  }

  it('when a send is replayed or conflicts, by operation id or Idempotency-Key, then its transaction writes and locks nothing; a new one does', async () => {
    const byId = await cluster.api.send({ user: bob.userId }, 'first', 5, ann.token);
    const byKey = await cluster.api.request('POST', `/messages/user/${bob.userId}`, {
      body: { text: 'keyed' },
      token: ann.token,
      headers: { 'idempotency-key': 'read-only' },
    });
    expect([byId.status, byKey.status]).to.deep.equal([201, 201]);

    expect(await sendIn({ text: 'first', operationId: 5 })).to.deep.include({
      status: 'replayed',
      message_id: byId.body.id,
      wrote: false,
    });
    expect(await sendIn({ text: 'other', operationId: 5 })).to.deep.include({
      status: 'operation_id_conflict',
      wrote: false,
    });
    expect(await sendIn({ text: 'keyed', idempotencyKey: 'read-only' })).to.deep.include({
      status: 'replayed',
      message_id: byKey.body.id,
      wrote: false,
    });
    expect(await sendIn({ text: 'other', idempotencyKey: 'read-only' })).to.deep.include({
      status: 'idempotency_key_conflict',
      wrote: false,
    });
    expect(await sendIn({ text: 'new', operationId: 6 })).to.deep.include({
      status: 'created',
      wrote: true,
    });
  });

  it('when a send to a group is replayed then it locks nothing, not even the chat; once the sender has left, it is refused', async () => {
    const group = await cluster.api.newGroup(ann, [bob]);
    const toGroup: SendTarget = { kind: 'group', id: group.group_id };
    const first = await cluster.api.send({ group: group.group_id }, 'to all', 11, ann.token);
    expect(first.status).to.equal(201);
    // The chat held by another transaction, as a batch writing to it holds it: a replay that
    // locked the chat would wait here until the statement timeout.
    const holder = new pg.Client({ connectionString: cluster.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [first.body.chat_id]);
      await raw.query("SET statement_timeout = '2s'");
      expect(await sendIn({ text: 'to all', operationId: 11 }, toGroup)).to.deep.include({
        status: 'replayed',
        message_id: first.body.id,
        wrote: false,
      });
      expect(await sendIn({ text: 'other', operationId: 11 }, toGroup)).to.deep.include({
        status: 'operation_id_conflict',
        wrote: false,
      });
    } finally {
      await raw.query('RESET statement_timeout');
      await holder.end();
    }

    const left = await cluster.api.request(
      'DELETE',
      `/groups/${group.group_id}/members/${ann.userId}`,
      { token: ann.token },
    );
    expect(left.status).to.equal(204);
    expect(await sendIn({ text: 'to all', operationId: 11 }, toGroup)).to.deep.include({
      status: 'chat_forbidden',
      wrote: false,
    });
  });
});
