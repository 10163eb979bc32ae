import { expect } from 'chai';
import { MESSAGE_KEYS } from './support/shapes.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';

const MESSAGES = 120;
const MISSING_ID = 999_999_999;

describe('GET /history/{chat_id}', () => {
  let c: Cluster;
  let a: Session;
  let b: Session;
  let chatId: number;
  /** Every message of the chat, ascending by id, as the send answers gave them. */
  let all: any[];
  const ids = () => all.map((m) => m.id as number);

  const page = async (query = '', s: Session = a) => {
    const res = await c.api.get(`/history/${chatId}${query ? `?${query}` : ''}`, s.token);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return (res.body as any[]).map((m) => m.id as number);
  };

  before(async () => {
    c = await startCluster();
    const [x, y] = await Promise.all([c.api.newUser('ha'), c.api.newUser('hb')]);
    [a, b] = [x, y];
    all = [];
    for (let i = 0; i < MESSAGES; i++) {
      // Both directions, so the page holds messages of both senders.
      const [from, to] = i % 3 === 0 ? [b, a] : [a, b];
      const res = await c.api.send({ user: to.userId }, `m${i}`, i, from.token);
      expect(res.status).to.equal(201);
      all.push(res.body);
    }
    chatId = all[0].chat_id;
    // Another chat's messages must never leak into this one's pages.
    const other = await c.api.newUser('hother');
    await c.api.send({ user: other.userId }, 'elsewhere', 1000, a.token);
  });
  after(() => c.close());

  it('when no cursor is given then the latest 50, ascending', async () => {
    const res = await c.api.get(`/history/${chatId}`, a.token);
    expect(res.status).to.equal(200);
    expect(res.body).to.have.length(50);
    expect(res.body.map((m: { id: number }) => m.id)).to.deep.equal(ids().slice(-50));
    expect(res.body.at(-1)).to.deep.equal(all.at(-1));
    expect(res.body[0]).to.have.all.keys(MESSAGE_KEYS);
  });

  it('when a limit is given then the latest that many', async () => {
    expect(await page('limit=10')).to.deep.equal(ids().slice(-10));
    expect(await page('limit=1')).to.deep.equal(ids().slice(-1));
    expect(await page('limit=100')).to.deep.equal(ids().slice(-100));
  });

  it('when after=X then the next page after X', async () => {
    expect(await page(`after=${ids()[9]}`)).to.deep.equal(ids().slice(10, 60));
    expect(await page(`after=${ids()[9]}&limit=5`)).to.deep.equal(ids().slice(10, 15));
    expect(await page('after=0&limit=3')).to.deep.equal(ids().slice(0, 3));
    expect(await page(`after=${ids().at(-1)}`)).to.deep.equal([]);
  });

  it('when before=X then the page just before X', async () => {
    expect(await page(`before=${ids()[60]}&limit=10`)).to.deep.equal(ids().slice(50, 60));
    expect(await page(`before=${ids()[60]}`)).to.deep.equal(ids().slice(10, 60));
    expect(await page(`before=${ids()[3]}`)).to.deep.equal(ids().slice(0, 3));
    expect(await page(`before=${ids()[0]}`)).to.deep.equal([]);
  });

  it('when later_than_message_id or later_that_message_id is given then it acts as after', async () => {
    const expected = ids().slice(21, 28);
    expect(await page(`later_than_message_id=${ids()[20]}&limit=7`)).to.deep.equal(expected);
    expect(await page(`later_that_message_id=${ids()[20]}&limit=7`)).to.deep.equal(expected);
  });

  it('when both after and before are given then 422', async () => {
    const res = await c.api.get(`/history/${chatId}?after=${ids()[1]}&before=${ids()[9]}`, a.token);
    expectProblem(res, 422, 'validation_failed');
    expectProblem(
      await c.api.get(`/history/${chatId}?later_that_message_id=1&before=9`, a.token),
      422,
    );
  });

  it('when the limit is 0, 101 or not an integer then 422, not clamped', async () => {
    for (const limit of ['0', '101', 'abc', '-1', '1.5']) {
      expectProblem(await c.api.get(`/history/${chatId}?limit=${limit}`, a.token), 422);
    }
  });

  it('when a cursor is -1, 2^53 or not a decimal integer then 422', async () => {
    for (const name of ['after', 'before', 'later_than_message_id', 'later_that_message_id']) {
      for (const value of ['-1', '9007199254740992', 'abc', '1e3']) {
        expectProblem(
          await c.api.get(`/history/${chatId}?${name}=${value}`, a.token),
          422,
          'validation_failed',
        );
      }
    }
    expect(await page('after=9007199254740991')).to.deep.equal([]);
  });

  it('when paging with after until empty then every message comes once, in order', async () => {
    const seen: number[] = [];
    let cursor = 0;
    for (let round = 0; round < 100; round++) {
      const got = await page(`after=${cursor}&limit=7`);
      if (got.length === 0) break;
      expect(got.length).to.be.at.most(7);
      seen.push(...got);
      cursor = got.at(-1)!;
    }
    expect(seen).to.deep.equal(ids());
  });

  it('when paging back with before then every message comes once', async () => {
    const seen: number[] = [];
    let got = await page('limit=30');
    while (got.length > 0) {
      seen.unshift(...got);
      got = await page(`before=${got[0]}&limit=30`);
    }
    expect(seen).to.deep.equal(ids());
  });

  it('when the peer reads then both see the same page with is_read', async () => {
    const mid = all[59];
    expect((await c.api.post(`/messages/read/${mid.id}`, undefined, b.token)).status).to.equal(200);
    const res = await c.api.get(`/history/${chatId}?after=${all[55].id}&limit=8`, b.token);
    const seenByA = await c.api.get(`/history/${chatId}?after=${all[55].id}&limit=8`, a.token);
    expect(res.body).to.deep.equal(seenByA.body);
    // b's messages (every third) depend on a's pointer, which is still 0.
    const expected = all.slice(56, 64).map((m) => m.sender_id === a.userId && m.id <= mid.id);
    expect(res.body.map((m: { is_read: boolean }) => m.is_read)).to.deep.equal(expected);
  });

  it('when a non-member asks then 403 chat_forbidden', async () => {
    const outsider = await c.api.newUser('hout');
    expectProblem(await c.api.get(`/history/${chatId}`, outsider.token), 403, 'chat_forbidden');
  });

  it('when the chat does not exist then 404 chat_not_found', async () => {
    expectProblem(await c.api.get(`/history/${MISSING_ID}`, a.token), 404, 'chat_not_found');
  });

  it('when the chat id is not a positive integer then 422', async () => {
    for (const id of ['abc', '0', '1e3']) {
      expectProblem(await c.api.get(`/history/${id}`, a.token), 422, 'validation_failed');
    }
  });

  it('when no token is sent then 401', async () => {
    expectProblem(await c.api.get(`/history/${chatId}`), 401);
  });
});
