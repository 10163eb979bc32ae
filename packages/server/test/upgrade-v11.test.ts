/** A v1 database brought to v1.1: its rows read as the contract says, and are found by search. */
import { expect } from 'chai';
import { startServer } from '../src/server.js';
import { Api, testConfig, withOlderDatabase } from './support/harness.js';

describe('upgrading a v1 database to v1.1', function () {
  this.timeout(30_000);

  it('when v1 messages and groups exist then after the upgrade they have the new fields, an owner, and are searchable', async () => {
    await withOlderDatabase('003-stream', async (url, raw) => {
      // v1 data, written the way v1 wrote it (its own send function).
      await raw.query(`INSERT INTO users (email, name, password_hash) VALUES
        ('old1@example.com', 'Old One', 'x'), ('old2@example.com', 'Old Two', 'x')`);
      const { rows: users } = await raw.query('SELECT id FROM users ORDER BY id');
      const [u1, u2] = users.map((r) => Number(r.id));
      await raw.query(
        `SELECT * FROM msgr_send($1, 'user', $2, 1::smallint, 'Старое сообщение', 300, 'dev', 0)`,
        [u1, u2],
      );
      await raw.query(
        `WITH c AS (INSERT INTO chats (kind) VALUES ('group') RETURNING id),
              g AS (INSERT INTO groups (chat_id, name, creator_id) SELECT id, 'Old group', $1 FROM c)
         INSERT INTO chat_members (chat_id, user_id) SELECT id, u FROM c, unnest($2::bigint[]) u`,
        [u1, [u1, u2]],
      );

      const server = await startServer(
        testConfig(url, { jwtSecret: 'test-secret-that-is-long-enough' }),
      );
      try {
        const api = new Api(server.url);
        const token = server.services.tokens.sign({ userId: u2!, clientId: 'upgrade' });
        const chats = (await api.get('/chats', token)).body;
        const direct = chats.find((x: any) => x.kind === 'direct');
        expect(direct.last_message).to.include({ edited_at: null, deleted: false, reply_to: null });
        expect(direct.last_message.reactions).to.deep.equal([]);
        const group = chats.find((x: any) => x.kind === 'group');
        expect(group.owner_id).to.equal(u1);
        const found = (await api.get(`/search?q=${encodeURIComponent('СТАРОЕ')}`, token)).body;
        expect(found.map((m: any) => m.text)).to.deep.equal(['Старое сообщение']);
      } finally {
        await server.close();
      }
    });
  });
});
