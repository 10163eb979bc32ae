/**
 * A v1.1 database brought to v1.2 in place: its messages are in the log under their own ids, so
 * a position handed out before the upgrade (a mark and message ids) resumes exactly; one older
 * than what the upgrade logged is expired, never a silent gap.
 */
import { expect } from 'chai';
import { startServer } from '../src/server.js';
import { Api, testConfig, withOlderDatabase } from './support/harness.js';
import { openSocket } from './support/sockets.js';

describe('upgrading a v1.1 database to v1.2', function () {
  this.timeout(30_000);

  it('when v1.1 positions are resumed after the upgrade then every message after them comes once; one older than the upgrade logged is expired', async () => {
    await withOlderDatabase('005-bus', async (url, raw) => {
      // v1.1 rows, written the way v1.1 wrote them (its send function, 10 arguments).
      await raw.query(`INSERT INTO users (email, name, password_hash) VALUES
        ('a@example.com', 'A', 'x'), ('b@example.com', 'B', 'x')`);
      const { rows: users } = await raw.query('SELECT id FROM users ORDER BY id');
      const [a, b] = users.map((r) => Number(r.id)) as [number, number];
      const send = async (op: number, text: string) =>
        Number(
          (
            await raw.query(
              `SELECT message_id FROM msgr_send($1, 'user', $2, $3::smallint, $4, 300, 'dev', 0,
                 NULL, ARRAY[]::text[])`,
              [a, b, op, text],
            )
          ).rows[0].message_id,
        );
      const ancient = await send(1, 'forty days ago');
      await raw.query(`UPDATE messages SET created_at = now() - interval '40 days' WHERE id = $1`, [
        ancient,
      ]);
      const ids: number[] = [];
      for (let i = 2; i <= 6; i++) ids.push(await send(i, `v1.1 message ${i}`));

      const server = await startServer(testConfig(url));
      try {
        const api = new Api(server.url);
        const token = server.services.tokens.sign({ userId: b, clientId: 'phone' });
        // A v1.1 position: the mark after the second message, and the fourth received above it.
        const v11 = `${ids[1]}.${ids[3]}`;
        const page = await api.get(`/sync?position=${v11}`, token);
        expect(page.status).to.equal(200);
        expect(page.body.events.map((e: any) => e.message.id)).to.deep.equal([ids[2], ids[4]]);
        const s = await openSocket(api.baseUrl, `/ws?position=${v11}`, token);
        await s.next((f) => f.type === 'Subscribed');
        expect(s.frames.filter((f) => f.type === 'Message').map((f) => f.message.id)).to.deep.equal(
          [ids[2], ids[4]],
        );
        // New messages take ids above the old ones, and are events too.
        const sender = server.services.tokens.sign({ userId: a, clientId: 'dev' });
        const fresh = (await api.send({ user: b }, 'v1.2 message', 7, sender)).body;
        expect(fresh.id).to.be.above(ids[4]!);
        expect(
          (await s.next((f) => f.type === 'Message' && f.message.id === fresh.id)).seq,
        ).to.equal(fresh.id);
        await s.close();
        // Before the oldest message the upgrade logged: expired, not a silent gap.
        const old = await api.get(`/sync?position=${ancient - 1}`, token);
        expect(old.status).to.equal(410);
        expect(old.body.code).to.equal('position_expired');
        // A v1.1 instance still running would announce its changes with msgr_publish, bypassing
        // the log: the database refuses them (marks it still takes).
        const edit = JSON.stringify({ t: 'MessageEdited', chat_id: 1, id: ids[0], by: {} });
        const refused = await raw.query('SELECT msgr_publish($1)', [edit]).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(refused?.message).to.match(/logged since v1\.2/);
        await raw.query('SELECT msgr_publish($1)', ['{"t" : "Mark", "up_to" : 1}']);
      } finally {
        await server.close();
      }
    });
  });
});
