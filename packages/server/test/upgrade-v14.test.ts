/**
 * A v1.3 database brought to v1.4 in place: its messages and the frames already in the log gain
 * `mentions: []`, `mention_all: false`, `thread_id: null` and `thread: null`, and a send made
 * before the upgrade is still replayed by the same request after it (the operation id's hash of
 * a send without mentions or thread is unchanged).
 */
import { expect } from 'chai';
import { startServer } from '../src/server.js';
import { Api, testConfig, withOlderDatabase } from './support/harness.js';

describe('upgrading a v1.3 database to v1.4', function () {
  this.timeout(30_000);

  it('when v1.3 messages are read after the upgrade then they carry the v1.4 fields, and a v1.3 send replays', async () => {
    await withOlderDatabase('007-files', async (url, raw) => {
      await raw.query(`INSERT INTO users (email, name, password_hash) VALUES
        ('a@example.com', 'A', 'x'), ('b@example.com', 'B', 'x')`);
      const { rows: users } = await raw.query('SELECT id FROM users ORDER BY id');
      const [a, b] = users.map((r) => Number(r.id)) as [number, number];
      // v1.3's send, as v1.3 called it (11 arguments).
      const { rows: sent } = await raw.query(
        `SELECT message_id FROM msgr_send($1, 'user', $2, 7::smallint, 'before threads', 300,
           'dev', 0, NULL, ARRAY['before', 'threads'], '{}'::text[])`,
        [a, b],
      );
      const server = await startServer(testConfig(url));
      try {
        const api = new Api(server.url);
        const { rows } = await raw.query(`SELECT frame FROM events WHERE type = 'Message'`);
        expect(rows).to.have.length(1);
        expect(JSON.parse(rows[0].frame as string).message).to.deep.include({
          attachments: [],
          mentions: [],
          mention_all: false,
          thread_id: null,
          thread: null,
        });
        const token = server.services.tokens.sign({ userId: a, clientId: 'dev' });
        const chats = await api.get(`/chats`, token);
        const history = await api.get(`/history/${chats.body[0].chat_id}`, token);
        expect(history.body[0]).to.deep.include({ mentions: [], thread_id: null, thread: null });
        const again = await api.send({ user: b }, 'before threads', 7, token);
        expect(again.status).to.equal(200);
        expect(again.body.id).to.equal(Number(sent[0].message_id));
      } finally {
        await server.close();
      }
    });
  });
});
