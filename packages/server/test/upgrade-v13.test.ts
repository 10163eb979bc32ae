/**
 * A v1.2 database brought to v1.3 in place: the messages and the frames already in the log
 * gain `attachments: []` (a message object always carries them), and the send takes files.
 */
import { expect } from 'chai';
import { startServer } from '../src/server.js';
import { Api, testConfig, withOlderDatabase } from './support/harness.js';

describe('upgrading a v1.2 database to v1.3', function () {
  this.timeout(30_000);

  it('when v1.2 messages are read after the upgrade then history and the log carry attachments: []', async () => {
    await withOlderDatabase('006-log', async (url, raw) => {
      await raw.query(`INSERT INTO users (email, name, password_hash) VALUES
        ('a@example.com', 'A', 'x'), ('b@example.com', 'B', 'x')`);
      const { rows: users } = await raw.query('SELECT id FROM users ORDER BY id');
      const [a, b] = users.map((r) => Number(r.id)) as [number, number];
      // v1.2's send, as v1.2 called it (10 arguments).
      await raw.query(
        `SELECT msgr_send($1, 'user', $2, 1::smallint, 'before files', 300, 'dev', 0, NULL,
           ARRAY['before', 'files'])`,
        [a, b],
      );
      const server = await startServer(testConfig(url));
      try {
        const api = new Api(server.url);
        const { rows } = await raw.query(`SELECT frame FROM events WHERE type = 'Message'`);
        expect(rows).to.have.length(1);
        expect(JSON.parse(rows[0].frame as string).message.attachments).to.deep.equal([]);
        // A token minted with the server's own secret: the v1.2 rows have no real password.
        const token = server.services.tokens.sign({ userId: b, clientId: 'test' });
        const chats = await api.get(`/chats`, token);
        expect(chats.status).to.equal(200);
        expect(chats.body[0].last_message).to.include({ text: 'before files' });
        expect(chats.body[0].last_message.attachments).to.deep.equal([]);
        const history = await api.get(`/history/${chats.body[0].chat_id}`, token);
        expect(history.body[0].attachments).to.deep.equal([]);
      } finally {
        await server.close();
      }
    });
  });
});
