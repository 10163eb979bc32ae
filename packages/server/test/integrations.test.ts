/**
 * v1.5 — bots and integrations: Idempotency-Key on sends and groups, API tokens and their
 * scopes, bots, and incoming webhooks (outgoing ones are webhooks.test.ts's). Real servers on one
 * database; races go to several instances at the same moment.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Api, type Cluster, type Session } from './support/harness.js';
import { openSocket } from './support/sockets.js';

const keyed = (api: Api, path: string, body: unknown, token: string | undefined, key: string) =>
  api.request('POST', path, { body, token, headers: { 'idempotency-key': key } });

async function makeToken(
  api: Api,
  owner: Session,
  scopes: string[],
  extra: Record<string, unknown> = {},
): Promise<{ id: number; token: string }> {
  const res = await api.post('/tokens', { name: 'ci', scopes, ...extra }, owner.token);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body;
}

describe('v1.5: bots and integrations', () => {
  let c: Cluster;
  let db: pg.Client;
  before(async () => {
    c = await startCluster({ instances: 3, rateLimitHookPostsPerMinute: 5 });
    db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db.end();
    await c.close();
  });

  describe('Idempotency-Key', () => {
    it('when a send carries an Idempotency-Key then it needs no operation_id, a repeat replays, another request under the key is 422, and keys are per user', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const path = `/messages/user/${bob.userId}`;
      const first = await keyed(c.api, path, { text: 'deploy done' }, ann.token, 'run-1');
      expect(first.status).to.equal(201);
      const again = await keyed(c.apis[1]!, path, { text: 'deploy done' }, ann.token, 'run-1');
      expect(again.status).to.equal(200);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body.id).to.equal(first.body.id);
      const other = await keyed(c.api, path, { text: 'something else' }, ann.token, 'run-1');
      expect(other.status).to.equal(422);
      expect(other.body.code).to.equal('idempotency_key_conflict');
      // Bob's run-1 is his own.
      const bobs = await keyed(
        c.api,
        `/messages/user/${ann.userId}`,
        { text: 'hi' },
        bob.token,
        'run-1',
      );
      expect(bobs.status).to.equal(201);
      // Neither key nor operation id: refused, nothing sent.
      const bare = await c.api.post(path, { text: 'no key' }, ann.token);
      expect(bare.status).to.equal(422);
      expect(bare.body.code).to.equal('validation_failed');
      const bad = await keyed(c.api, path, { text: 'x' }, ann.token, 'with space');
      expect(bad.body.code).to.equal('idempotency_key_invalid');
      const history = await c.api.get(`/history/${first.body.chat_id}?limit=50`, ann.token);
      expect(history.body.map((m: any) => m.text)).to.have.members(['deploy done', 'hi']);
    });

    it('when the same keyed send and the same keyed group creation race on 3 instances then one message and one group exist (10 rounds)', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      for (let round = 0; round < 10; round++) {
        const key = `race-${round}`;
        const sends = await Promise.all(
          c.apis.map((api) =>
            keyed(api, `/messages/user/${bob.userId}`, { text: `r${round}` }, ann.token, key),
          ),
        );
        expect(sends.map((r) => r.status).sort()).to.deep.equal([200, 200, 201]);
        expect(new Set(sends.map((r) => r.body.id)).size).to.equal(1);
        const groups = await Promise.all(
          c.apis.map((api) =>
            keyed(
              api,
              '/group',
              { name: `G${round}`, participant_user_ids: [bob.userId] },
              ann.token,
              `group-${key}`,
            ),
          ),
        );
        expect(groups.map((r) => r.status).sort()).to.deep.equal([200, 200, 201]);
        expect(new Set(groups.map((r) => r.body.group_id)).size).to.equal(1);
      }
      const chats = (await c.api.get('/chats', ann.token)).body;
      expect(chats.filter((x: any) => x.kind === 'group')).to.have.length(10);
      const direct = chats.find((x: any) => x.kind === 'direct');
      const history = await c.api.get(`/history/${direct.chat_id}?limit=50`, ann.token);
      expect(history.body).to.have.length(10);
    });

    it('when a group key is reused for another group or a send then 422, and a replayed group is the group as it is now', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const body = { name: 'Ops', participant_user_ids: [bob.userId] };
      const made = await keyed(c.api, '/group', body, ann.token, 'g-1');
      expect(made.status).to.equal(201);
      const renamed = await c.api.request('PATCH', `/groups/${made.body.group_id}`, {
        body: { name: 'Ops 2' },
        token: ann.token,
      });
      expect(renamed.status).to.equal(200);
      const again = await keyed(c.apis[2]!, '/group', body, ann.token, 'g-1');
      expect(again.status).to.equal(200);
      expect(again.body.group_id).to.equal(made.body.group_id);
      expect(again.body.name).to.equal('Ops 2');
      const other = await keyed(c.api, '/group', { ...body, name: 'Other' }, ann.token, 'g-1');
      expect(other.body.code).to.equal('idempotency_key_conflict');
      const send = await keyed(
        c.api,
        `/messages/user/${bob.userId}`,
        { text: 'x' },
        ann.token,
        'g-1',
      );
      expect(send.body.code).to.equal('idempotency_key_conflict');
    });
  });

  describe('API tokens', () => {
    it('when made then the text is shown once, listed without it, and last_used_at appears after a use', async () => {
      const ann = await c.api.newUser('ann');
      const made = await makeToken(c.api, ann, ['read'], { expires_in: 3600 });
      expect(made.token).to.match(/^msgr_pat_[A-Za-z0-9_-]{43}$/);
      let list = (await c.api.get('/tokens', ann.token)).body;
      expect(list).to.have.length(1);
      expect(list[0]).to.not.have.property('token');
      expect(list[0].last_used_at).to.equal(null);
      expect(list[0].expires_at).to.be.a('string');
      const me = await c.api.get('/me', made.token);
      expect(me.status).to.equal(200);
      expect(me.body).to.include({ id: ann.userId, is_bot: false });
      // Written out of the request's way: it shows up shortly after.
      for (let i = 0; i < 100 && !list[0].last_used_at; i++) {
        list = (await c.api.get('/tokens', ann.token)).body;
        if (!list[0].last_used_at) await new Promise((r) => setTimeout(r, 20));
      }
      expect(list[0].last_used_at).to.be.a('string');
    });

    it('when a token lacks a scope then 403 insufficient_scope; tokens and bots are managed from a login only', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const reader = await makeToken(c.api, ann, ['read']);
      const writer = await makeToken(c.api, ann, ['write']);
      expect((await c.api.get('/chats', reader.token)).status).to.equal(200);
      const refused = await c.api.send({ user: bob.userId }, 'x', 1, reader.token);
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal('insufficient_scope');
      expect((await c.api.get('/chats', writer.token)).body.code).to.equal('insufficient_scope');
      // Who am I is any token's to ask (a write-only client needs its id to leave a group).
      expect((await c.api.get('/me', writer.token)).body.id).to.equal(ann.userId);
      expect((await c.api.send({ user: bob.userId }, 'by token', 1, writer.token)).status).to.equal(
        201,
      );
      const both = await makeToken(c.api, ann, ['read', 'write']);
      for (const [method, path] of [
        ['POST', '/tokens'],
        ['GET', '/tokens'],
        [`DELETE`, `/tokens/${reader.id}`],
        ['POST', '/bots'],
        ['GET', '/bots'],
      ] as const) {
        const res = await c.api.request(method, path, {
          token: both.token,
          body: method === 'POST' ? { name: 'x', scopes: ['read'] } : undefined,
        });
        expect(res.status, `${method} ${path}`).to.equal(403);
        expect(res.body.code).to.equal('insufficient_scope');
      }
      // A read token's socket may listen but not say it is typing.
      const socket = await openSocket(c.api.baseUrl, '/ws', reader.token);
      socket.send({ type: 'Typing', chat_id: 1 });
      const error = await socket.next((f) => f.type === 'Error');
      expect(error.code).to.equal('insufficient_scope');
      await socket.close();
    });

    it('when a token is revoked then it stops working on every instance at once, and its sockets close with 4410', async () => {
      const ann = await c.api.newUser('ann');
      const made = await makeToken(c.api, ann, ['read', 'write']);
      const sockets = await Promise.all(
        c.apis.map((api) => openSocket(api.baseUrl, '/ws', made.token)),
      );
      const other = await makeToken(c.api, ann, ['read']);
      const kept = await openSocket(c.apis[1]!.baseUrl, '/ws', other.token);
      for (const api of c.apis) expect((await api.get('/me', made.token)).status).to.equal(200);
      const revoked = await c.apis[2]!.request('DELETE', `/tokens/${made.id}`, {
        token: ann.token,
      });
      expect(revoked.status).to.equal(204);
      for (const api of c.apis) {
        const res = await api.get('/me', made.token);
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('invalid_token');
      }
      for (const s of sockets) expect((await s.closed).code).to.equal(4410);
      expect(kept.ws.readyState).to.equal(kept.ws.OPEN);
      await kept.close();
      const again = await c.api.request('DELETE', `/tokens/${made.id}`, { token: ann.token });
      expect(again.body.code).to.equal('token_not_found');
      const bob = await c.api.newUser('bob');
      const notHis = await c.api.request('DELETE', `/tokens/${other.id}`, { token: bob.token });
      expect(notHis.body.code).to.equal('token_not_found');
    });

    it('when a token has expired then 401 token_expired; a made-up or truncated one is invalid_token', async () => {
      const ann = await c.api.newUser('ann');
      const made = await makeToken(c.api, ann, ['read'], { expires_in: 60 });
      await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 s' WHERE id = $1`, [
        made.id,
      ]);
      const expired = await c.api.get('/me', made.token);
      expect(expired.status).to.equal(401);
      expect(expired.body.code).to.equal('token_expired');
      for (const forged of [
        'msgr_pat_',
        made.token.slice(0, -1),
        `msgr_pat_${'A'.repeat(43)}`,
        `msgr_pat_${'x'.repeat(5000)}`,
      ]) {
        const res = await c.api.get('/me', forged);
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('invalid_token');
      }
      const tooShort = await c.api.post(
        '/tokens',
        { name: 'x', scopes: ['read'], expires_in: 5 },
        ann.token,
      );
      expect(tooShort.status).to.equal(422);
      const badScope = await c.api.post('/tokens', { name: 'x', scopes: ['admin'] }, ann.token);
      expect(badScope.status).to.equal(422);
    });

    it('when a token reads /sync and /ws then it gets the changes of its user, and its own sends are not echoed to it', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const made = await makeToken(c.api, ann, ['read', 'write']);
      const now = await c.api.get('/sync', made.token);
      expect(now.status).to.equal(200);
      const socket = await openSocket(c.apis[1]!.baseUrl, '/ws', made.token);
      await c.api.send({ user: ann.userId }, 'from bob', 1, bob.token);
      await c.api.send({ user: bob.userId }, 'from the token', 1, made.token);
      await c.api.send({ user: bob.userId }, 'from the login', 2, ann.token);
      const got = await socket.collect((f) => f.type === 'Message', 2);
      expect(got.map((f) => f.message.text)).to.deep.equal(['from bob', 'from the login']);
      await socket.close();
      const sync = await c.api.get(`/sync?position=${now.body.position}`, made.token);
      expect(sync.body.events.map((e: any) => e.message?.text)).to.deep.equal([
        'from bob',
        'from the login',
      ]);
    });
  });

  describe('bots', () => {
    it('when a person makes a bot then it is a user with is_bot and no email, signs in with its token, and may be added to groups', async () => {
      const ann = await c.api.newUser('ann');
      const made = await c.api.post('/bots', { name: 'Deploy bot' }, ann.token);
      expect(made.status).to.equal(201);
      expect(made.body.user).to.deep.include({ email: null, name: 'Deploy bot', is_bot: true });
      expect(made.body.owner_id).to.equal(ann.userId);
      const bot = made.body.user.id;
      const me = await c.api.get('/me', made.body.token);
      expect(me.body).to.deep.include({ id: bot, is_bot: true, email: null });
      const group = await c.api.newGroup(ann, [{ userId: bot } as Session]);
      const sent = await c.api.send(
        { group: group.group_id },
        'hello from the bot',
        1,
        made.body.token,
      );
      expect(sent.status).to.equal(201);
      expect(sent.body.sender_id).to.equal(bot);
      const users = await c.api.get(`/users?ids=${bot}`, ann.token);
      expect(users.status).to.equal(200);
      expect((await c.api.get('/bots', ann.token)).body.map((b: any) => b.user.id)).to.deep.equal([
        bot,
      ]);
      // A bot cannot log in: it has no email or password.
      const login = await c.api.post('/login', { email: '', password: '' });
      expect(login.status).to.be.oneOf([401, 422]);
    });

    it('when a bot is deleted then its tokens stop, it leaves its groups (announced), its messages stay, and deleting again is 204', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const made = (await c.api.post('/bots', { name: 'Echo' }, ann.token)).body;
      const bot = made.user.id;
      const group = await c.api.newGroup(ann, [bob, { userId: bot } as Session]);
      await c.api.send({ group: group.group_id }, 'bot was here', 1, made.token);
      const botSocket = await openSocket(c.apis[1]!.baseUrl, '/ws', made.token);
      const bobSocket = await openSocket(c.apis[2]!.baseUrl, '/ws', bob.token);
      const other = await c.api.newUser('eve');
      expect(
        (await c.api.request('DELETE', `/bots/${bot}`, { token: other.token })).status,
      ).to.equal(404);
      expect((await c.api.request('DELETE', `/bots/${bot}`, { token: ann.token })).status).to.equal(
        204,
      );
      expect((await botSocket.closed).code).to.equal(4410);
      expect((await c.api.get('/me', made.token)).status).to.equal(401);
      const left = await bobSocket.next((f) => f.type === 'MembersChanged');
      expect(left.removed).to.deep.equal([bot]);
      await bobSocket.close();
      const now = (await c.api.get(`/groups/${group.group_id}`, ann.token)).body;
      expect(now.member_ids).to.not.include(bot);
      const history = (await c.api.get(`/history/${group.chat_id}`, bob.token)).body;
      expect(history.map((m: any) => m.text)).to.include('bot was here');
      expect((await c.api.request('DELETE', `/bots/${bot}`, { token: ann.token })).status).to.equal(
        204,
      );
      expect((await c.api.get('/bots', ann.token)).body).to.deep.equal([]);
      // A deleted bot is added to nothing.
      const add = await c.api.post(
        `/groups/${group.group_id}/members`,
        { user_ids: [bot] },
        ann.token,
      );
      expect(add.status).to.equal(404);
    });
  });

  describe('incoming webhooks', () => {
    it('when a hook is made then posting JSON or a Slack payload form to its URL sends as its bot, and a wrong secret or id is 404', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const group = await c.api.newGroup(ann, [bob]);
      const byMember = await c.api.post(`/chats/${group.chat_id}/hooks`, { name: 'CI' }, bob.token);
      expect(byMember.body.code).to.equal('not_group_owner');
      const made = await c.api.post(`/chats/${group.chat_id}/hooks`, { name: 'CI' }, ann.token);
      expect(made.status).to.equal(201);
      const hook = made.body;
      expect(hook.url).to.match(new RegExp(`^/hooks/${hook.id}/[A-Za-z0-9_-]{43}$`));
      const socket = await openSocket(c.apis[1]!.baseUrl, '/ws', bob.token);
      const posted = await c.apis[2]!.post(hook.url, { text: 'build #7 passed' });
      expect(posted.status).to.equal(201);
      expect(posted.body).to.include({ sender_id: hook.bot_id, chat_id: group.chat_id });
      const live = await socket.next((f) => f.type === 'Message');
      expect(live.message.text).to.equal('build #7 passed');
      await socket.close();
      const form = await c.api.request('POST', hook.url, {
        raw: `payload=${encodeURIComponent(JSON.stringify({ text: 'from a form' }))}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).to.equal(201);
      expect(form.body.text).to.equal('from a form');
      const badForm = await c.api.request('POST', hook.url, {
        raw: 'payload=%7Bnot json',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(badForm.status).to.equal(422);
      const secret = hook.url.split('/')[3];
      for (const url of [
        // The last character changed (never to itself: that would be the secret).
        `/hooks/${hook.id}/${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`,
        `/hooks/${hook.id}/x`,
        `/hooks/${hook.id + 1000}/${secret}`,
      ]) {
        const res = await c.api.post(url, { text: 'guess' });
        expect(res.status, url).to.equal(404);
        expect(res.body.code).to.equal('hook_not_found');
      }
      const sender = (await c.api.get(`/users?ids=${hook.bot_id}`, ann.token)).body;
      expect(JSON.stringify(sender)).to.include('"is_bot":true');
      const list = (await c.api.get(`/chats/${group.chat_id}/hooks`, bob.token)).body;
      expect(list).to.have.length(1);
      expect(list[0]).to.not.have.property('url');
      // The bot is no member of the group.
      const members = (await c.api.get(`/groups/${group.group_id}`, ann.token)).body.member_ids;
      expect(members).to.not.include(hook.bot_id);
    });

    it('when a post carries an Idempotency-Key then a retry replays it, even racing on 3 instances; past the budget 429', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      await c.api.send({ user: bob.userId }, 'hi', 1, ann.token);
      const chat = (await c.api.get('/chats', ann.token)).body[0];
      const hook = (await c.api.post(`/chats/${chat.chat_id}/hooks`, { name: 'CI' }, bob.token))
        .body;
      const posts = await Promise.all(
        c.apis.map((api) => keyed(api, hook.url, { text: 'deployed v2' }, undefined, 'run-42')),
      );
      expect(posts.map((r) => r.status).sort()).to.deep.equal([200, 200, 201]);
      expect(new Set(posts.map((r) => r.body.id)).size).to.equal(1);
      const history = (await c.api.get(`/history/${chat.chat_id}`, ann.token)).body;
      expect(history.filter((m: any) => m.text === 'deployed v2')).to.have.length(1);
      // The budget here is 5 a minute; one is spent.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await c.api.post(hook.url, { text: `n${i}` })).status);
      expect(statuses.slice(0, 4)).to.deep.equal([201, 201, 201, 201]);
      expect(statuses.slice(4)).to.deep.equal([429, 429]);
    });

    it("when a post attaches files then they are the hook maker's uploads, never another's", async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const group = await c.api.newGroup(ann, [bob]);
      const hook = (await c.api.post(`/chats/${group.chat_id}/hooks`, { name: 'CI' }, ann.token))
        .body;
      const mine = (await c.api.upload(Buffer.from('report'), 'report.txt', ann.token)).body;
      const his = (await c.api.upload(Buffer.from('secret'), 'secret.txt', bob.token)).body;
      const posted = await c.api.post(hook.url, { text: 'the report', attachments: [mine.id] });
      expect(posted.status).to.equal(201);
      expect(posted.body.attachments.map((f: any) => f.id)).to.deep.equal([mine.id]);
      const refused = await c.api.post(hook.url, { text: 'his', attachments: [his.id] });
      expect(refused.status).to.equal(422);
      expect(refused.body.code).to.equal('attachment_invalid');
      const onlyFile = await c.api.post(hook.url, { attachments: [mine.id] });
      expect(onlyFile.status).to.equal(201);
    });

    it('when a hook is deleted then its URL is 404 at once, by its maker or the owner only', async () => {
      const ann = await c.api.newUser('ann');
      const bob = await c.api.newUser('bob');
      const eve = await c.api.newUser('eve');
      const group = await c.api.newGroup(ann, [bob]);
      const hook = (await c.api.post(`/chats/${group.chat_id}/hooks`, { name: 'CI' }, ann.token))
        .body;
      expect(
        (await c.api.request('DELETE', `/hooks/${hook.id}`, { token: eve.token })).status,
      ).to.equal(404);
      expect(
        (await c.api.request('DELETE', `/hooks/${hook.id}`, { token: bob.token })).status,
      ).to.equal(403);
      expect((await c.api.post(hook.url, { text: 'before' })).status).to.equal(201);
      expect(
        (await c.api.request('DELETE', `/hooks/${hook.id}`, { token: ann.token })).status,
      ).to.equal(204);
      for (const api of c.apis)
        expect((await api.post(hook.url, { text: 'after' })).status).to.equal(404);
      expect((await c.api.get(`/chats/${group.chat_id}/hooks`, ann.token)).body).to.deep.equal([]);
    });
  });
});
