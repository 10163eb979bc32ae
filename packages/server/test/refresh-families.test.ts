/**
 * Refresh-token rotation with families (contract: "Limits, abuse and exact resume"): a retry
 * within REFRESH_REUSE_GRACE_SECONDS gets a working pair on any instance; a replay after it
 * revokes every token of the login; no session outlives REFRESH_TOKEN_TTL_SECONDS.
 */
import { expect } from 'chai';
import pg from 'pg';
import { hashRefreshToken } from '../src/auth/tokens.js';
import { Api, startCluster, type Cluster } from './support/harness.js';
import { expectProblem } from './support/problem.js';

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function refreshOn(api: Api, token: string) {
  return api.post('/token/refresh', { refresh_token: token });
}

async function expectWorkingPair(api: Api, pair: any): Promise<void> {
  expect((await api.get('/me', pair.access_token)).status).to.equal(200);
  expect((await refreshOn(api, pair.refresh_token)).status).to.equal(200);
}

describe('refresh tokens: retries, replays and session ends', () => {
  describe('with the default grace', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster({ instances: 3 });
    });
    after(() => c.close());

    it('when one refresh token reaches three instances at the same moment then all three get a working pair', async () => {
      for (let round = 0; round < 10; round++) {
        const s = await c.api.login('test1@test.com', 'test', `race-${round}`);
        const answers = await Promise.all(c.apis.map((api) => refreshOn(api, s.refreshToken)));
        expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
        const tokens = new Set(answers.map((a) => a.body.refresh_token));
        expect(tokens.size).to.equal(3);
        for (const [i, a] of answers.entries()) await expectWorkingPair(c.apis[i]!, a.body);
      }
    });

    it('when a refresh answer is lost and the client retries on another host then it stays logged in', async () => {
      const s = await c.api.login('test2@test.com');
      const lost = await refreshOn(c.apis[0]!, s.refreshToken);
      expect(lost.status).to.equal(200);
      const retried = await refreshOn(c.apis[1]!, s.refreshToken);
      expect(retried.status).to.equal(200);
      await expectWorkingPair(c.apis[2]!, retried.body);
    });

    it('when refreshing then the new token ends with the login, never later', async () => {
      const s = await c.api.login('test3@test.com');
      const next = (await refreshOn(c.api, s.refreshToken)).body;
      const ends = await withPg(c.databaseUrl, async (db) => {
        const { rows } = await db.query(
          'SELECT expires_at, family_id FROM refresh_tokens WHERE token_hash = ANY($1) ORDER BY id',
          [[hashRefreshToken(s.refreshToken), hashRefreshToken(next.refresh_token)]],
        );
        return rows;
      });
      expect(ends).to.have.length(2);
      expect(ends[1].family_id).to.equal(ends[0].family_id);
      expect(ends[1].expires_at.getTime()).to.equal(ends[0].expires_at.getTime());
      // The login's end passes: every token of the family is refused, however fresh.
      await withPg(c.databaseUrl, (db) =>
        db.query(
          `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id = $1`,
          [ends[0].family_id],
        ),
      );
      expectProblem(await refreshOn(c.api, next.refresh_token), 401, 'invalid_refresh_token');
    });
  });

  describe('with REFRESH_REUSE_GRACE_SECONDS=0 (every second use is a replay)', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster({ instances: 2, refreshReuseGraceSeconds: 0 });
    });
    after(() => c.close());

    it('when a used refresh token comes back then 401 refresh_token_reused and the whole family is revoked', async () => {
      const victim = await c.api.login('test1@test.com', 'test', 'phone');
      const other = await c.api.login('test1@test.com', 'test', 'laptop');
      const first = (await refreshOn(c.apis[0]!, victim.refreshToken)).body;
      const second = (await refreshOn(c.apis[0]!, first.refresh_token)).body;
      // The thief replays the token stolen before the first rotation.
      expectProblem(await refreshOn(c.apis[1]!, victim.refreshToken), 401, 'refresh_token_reused');
      // Every descendant of that login is dead, on every instance…
      expectProblem(
        await refreshOn(c.apis[0]!, second.refresh_token),
        401,
        'invalid_refresh_token',
      );
      expectProblem(await refreshOn(c.apis[1]!, first.refresh_token), 401);
      // …and another login of the same user is not touched.
      expect((await refreshOn(c.apis[1]!, other.refreshToken)).status).to.equal(200);
    });
  });
});
