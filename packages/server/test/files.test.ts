/**
 * Files and attachments over real HTTP on a real database (contract v1.3): one-request uploads,
 * downloads with their headers and ranges, access, attachments on messages, quota and limits.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { newFileId } from '../src/domain/files.js';
import { FILE_KEYS } from './support/shapes.js';
import { startCluster, type Cluster } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { openSocket } from './support/sockets.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('files: POST /files and GET /files/{id}', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ uploadQuotaBytes: 3 * 1024 * 1024 });
  });
  after(() => c.close());

  it('when bytes are uploaded then 201 with the file object and the same bytes come back', async () => {
    const a = await c.api.newUser('up');
    const data = randomBytes(300_000);
    const res = await c.api.upload(data, 'report.bin', a.token);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.have.all.keys(FILE_KEYS);
    expect(res.body).to.include({
      name: 'report.bin',
      size: data.length,
      content_type: 'application/octet-stream',
      sha256: sha256(data),
      uploader_id: a.userId,
      image: null,
    });
    expect(res.body.id).to.match(/^[A-Za-z0-9_-]{16,64}$/);
    const got = await c.api.bytes('GET', `/files/${res.body.id}`, { token: a.token });
    expect(got.status).to.equal(200);
    expect(sha256(got.data)).to.equal(sha256(data));
    expect(got.headers.get('etag')).to.equal(`"${sha256(data)}"`);
    expect(got.headers.get('accept-ranges')).to.equal('bytes');
    expect(got.headers.get('content-length')).to.equal(String(data.length));
    expect(got.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(got.headers.get('content-security-policy')).to.equal('sandbox');
    expect(got.headers.get('content-disposition')).to.match(
      /^attachment; .*filename\*=UTF-8''report\.bin/,
    );
    const info = await c.api.get(`/files/${res.body.id}/info`, a.token);
    expect(info.body).to.deep.equal(res.body);
  });

  it('when a range is asked then 206 with exactly those bytes, and 416 past the end', async () => {
    const a = await c.api.newUser('range');
    const data = randomBytes(2_500_000); // more than one chunk of the postgres store
    const { body: file } = await c.api.upload(data, 'r.bin', a.token);
    const mid = await c.api.bytes('GET', `/files/${file.id}`, {
      token: a.token,
      headers: { range: 'bytes=1048570-1048600' },
    });
    expect(mid.status).to.equal(206);
    expect(mid.headers.get('content-range')).to.equal(`bytes 1048570-1048600/${data.length}`);
    expect(mid.data.equals(data.subarray(1048570, 1048601))).to.equal(true);
    const tail = await c.api.bytes('GET', `/files/${file.id}`, {
      token: a.token,
      headers: { range: 'bytes=-10' },
    });
    expect(tail.data.equals(data.subarray(data.length - 10))).to.equal(true);
    const past = await c.api.bytes('GET', `/files/${file.id}`, {
      token: a.token,
      headers: { range: `bytes=${data.length}-` },
    });
    expect(past.status).to.equal(416);
    expect(past.headers.get('content-range')).to.equal(`bytes */${data.length}`);
    const same = await c.api.bytes('GET', `/files/${file.id}`, {
      token: a.token,
      headers: { 'if-none-match': `"${file.sha256}"` },
    });
    expect(same.status).to.equal(304);
    expect(same.data.length).to.equal(0);
  });

  it('when an image is uploaded then its size is known and its thumbnail is a small image without metadata', async () => {
    const a = await c.api.newUser('img');
    const png = await sharp({
      create: { width: 1200, height: 600, channels: 3, background: '#336699' },
    })
      .png()
      .toBuffer();
    const { status, body: file } = await c.api.upload(png, 'photo.txt', a.token);
    expect(status).to.equal(201);
    expect(file.content_type).to.equal('image/png');
    expect(file.image).to.deep.equal({ width: 1200, height: 600 });
    const thumb = await c.api.bytes('GET', `/files/${file.id}/thumbnail`, { token: a.token });
    expect(thumb.status).to.equal(200);
    const meta = await sharp(thumb.data).metadata();
    expect(meta.width).to.equal(320);
    expect(meta.height).to.equal(160);
    expect(meta.exif).to.equal(undefined);
    const whole = await c.api.bytes('GET', `/files/${file.id}`, { token: a.token });
    expect(whole.headers.get('content-disposition')).to.match(/^inline;/);
  });

  it('when a file is not an image then its thumbnail is 404 thumbnail_unavailable', async () => {
    const a = await c.api.newUser('nothumb');
    const { body: file } = await c.api.upload(Buffer.from('just text\n'), 'a.txt', a.token);
    expect(file.content_type).to.match(/^text\/plain/);
    const res = await c.api.get(`/files/${file.id}/thumbnail`, a.token);
    expectProblem(res, 404, 'thumbnail_unavailable');
  });

  it('when someone else asks for a file never shared with them then 404 file_not_found, as for an unknown id', async () => {
    const [a, b] = await Promise.all([c.api.newUser('own'), c.api.newUser('other')]);
    const { body: file } = await c.api.upload(Buffer.from('secret'), 's.txt', a.token);
    for (const path of [`/files/${file.id}`, `/files/${file.id}/info`]) {
      expectProblem(await c.api.get(path, b.token), 404, 'file_not_found');
    }
    expectProblem(await c.api.get('/files/AAAAAAAAAAAAAAAAAAAAAA', b.token), 404, 'file_not_found');
  });

  it('when a file is attached to a group message then members read it, and a removed member no longer can', async () => {
    const [a, b, x] = await Promise.all([
      c.api.newUser('att'),
      c.api.newUser('attb'),
      c.api.newUser('attx'),
    ]);
    const g = await c.api.newGroup(a, [b]);
    const { body: file } = await c.api.upload(Buffer.from('minutes'), 'minutes.txt', a.token);
    const sent = await c.api.post(
      `/messages/group/${g.group_id}`,
      { attachments: [file.id], operation_id: 1 },
      a.token,
    );
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    expect(sent.body.text).to.equal('');
    expect(sent.body.attachments).to.deep.equal([file]);
    const history = await c.api.get(`/history/${g.chat_id}`, b.token);
    expect(history.body[0].attachments).to.deep.equal([file]);
    const chats = await c.api.get('/chats', b.token);
    expect(chats.body[0].last_message.attachments).to.deep.equal([file]);
    expect((await c.api.bytes('GET', `/files/${file.id}`, { token: b.token })).status).to.equal(
      200,
    );
    expectProblem(await c.api.get(`/files/${file.id}/info`, x.token), 404, 'file_not_found');
    const removed = await c.api.request('DELETE', `/groups/${g.group_id}/members/${b.userId}`, {
      token: a.token,
    });
    expect(removed.status).to.be.oneOf([200, 204]);
    expectProblem(await c.api.get(`/files/${file.id}/info`, b.token), 404, 'file_not_found');
  });

  it('when the message carrying a file is deleted then the other members lose it, the uploader keeps it', async () => {
    const [a, b] = await Promise.all([c.api.newUser('del'), c.api.newUser('delb')]);
    const { body: file } = await c.api.upload(Buffer.from('gone soon'), 'g.txt', a.token);
    const sent = await c.api.post(
      `/messages/user/${b.userId}`,
      { text: 'see file', attachments: [file.id], operation_id: 1 },
      a.token,
    );
    expect((await c.api.get(`/files/${file.id}/info`, b.token)).status).to.equal(200);
    const del = await c.api.request('DELETE', `/messages/${sent.body.id}`, { token: a.token });
    expect(del.status).to.be.oneOf([200, 204]);
    expectProblem(await c.api.get(`/files/${file.id}/info`, b.token), 404, 'file_not_found');
    expect((await c.api.get(`/files/${file.id}/info`, a.token)).status).to.equal(200);
    const history = await c.api.get(`/history/${sent.body.chat_id}`, b.token);
    expect(history.body[0]).to.include({ deleted: true });
    expect(history.body[0].attachments).to.deep.equal([]);
  });

  it("when a send names someone else's file or an unknown one then 422 attachment_invalid and nothing is sent", async () => {
    const [a, b] = await Promise.all([c.api.newUser('inv'), c.api.newUser('invb')]);
    const { body: theirs } = await c.api.upload(Buffer.from('theirs'), 't.txt', b.token);
    for (const ids of [[theirs.id], ['AAAAAAAAAAAAAAAAAAAAAA']]) {
      const res = await c.api.post(
        `/messages/user/${b.userId}`,
        { text: 'x', attachments: ids, operation_id: 5 },
        a.token,
      );
      expectProblem(res, 422, 'attachment_invalid');
    }
    const chats = await c.api.get('/chats', a.token);
    expect(chats.body).to.deep.equal([]);
  });

  it('when a send repeats its operation id with other attachments then 422 operation_id_conflict', async () => {
    const [a, b] = await Promise.all([c.api.newUser('opid'), c.api.newUser('opidb')]);
    const { body: f1 } = await c.api.upload(Buffer.from('one'), '1.txt', a.token);
    const { body: f2 } = await c.api.upload(Buffer.from('two'), '2.txt', a.token);
    const path = `/messages/user/${b.userId}`;
    const first = await c.api.post(
      path,
      { text: 'x', attachments: [f1.id], operation_id: 9 },
      a.token,
    );
    expect(first.status).to.equal(201);
    const again = await c.api.post(
      path,
      { text: 'x', attachments: [f1.id], operation_id: 9 },
      a.token,
    );
    expect(again.status).to.equal(200);
    expect(again.body.attachments).to.deep.equal([f1]);
    const other = await c.api.post(
      path,
      { text: 'x', attachments: [f2.id], operation_id: 9 },
      a.token,
    );
    expectProblem(other, 422, 'operation_id_conflict');
  });

  it('when a body is over UPLOAD_MAX_BYTES or the quota then 413 and nothing is kept', async () => {
    const a = await c.api.newUser('quota');
    const big = randomBytes(2 * 1024 * 1024);
    expect((await c.api.upload(big, 'a.bin', a.token)).status).to.equal(201);
    const over = await c.api.upload(big, 'b.bin', a.token);
    expectProblem(over, 413, 'quota_exceeded');
    const config = await c.api.get('/files/config', a.token);
    expect(config.body).to.deep.equal({
      upload_max_bytes: 104_857_600,
      attachments_per_message: 10,
      quota_bytes: 3 * 1024 * 1024,
      used_bytes: big.length,
    });
  });

  it('when the same upload is repeated under its Idempotency-Key then 200 replays the file; other bytes 422', async () => {
    const a = await c.api.newUser('idem');
    const data = randomBytes(1000);
    const key = { 'idempotency-key': 'upload-1' };
    const first = await c.api.upload(data, 'k.bin', a.token, key);
    expect(first.status).to.equal(201);
    const again = await c.api.upload(data, 'k.bin', a.token, key);
    expect(again.status).to.equal(200);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    expectProblem(
      await c.api.upload(randomBytes(10), 'k.bin', a.token, key),
      422,
      'idempotency_key_conflict',
    );
    const config = await c.api.get('/files/config', a.token);
    expect(config.body.used_bytes).to.equal(1000);
  });

  it('when a message with files is sent then its live event, /sync and a resumed socket carry them, and its deletion empties them in the log', async () => {
    const [a, b] = await Promise.all([c.api.newUser('live'), c.api.newUser('liveb')]);
    const start = (await c.api.get('/sync', b.token)).body.position;
    const socket = await openSocket(c.api.baseUrl, '/ws', b.token);
    try {
      const { body: file } = await c.api.upload(Buffer.from('live bytes'), 'live.txt', a.token);
      const sent = await c.api.post(
        `/messages/user/${b.userId}`,
        { text: 'with a file', attachments: [file.id], operation_id: 1 },
        a.token,
      );
      const frame = await socket.next((f) => f.type === 'Message');
      expect(frame.message.attachments).to.deep.equal([file]);
      const page = await c.api.get(`/sync?position=${encodeURIComponent(start)}`, b.token);
      const logged = page.body.events.find((e: any) => e.type === 'Message');
      expect(logged.message.attachments).to.deep.equal([file]);
      const resumed = await openSocket(
        c.api.baseUrl,
        `/ws?position=${encodeURIComponent(start)}`,
        b.token,
      );
      try {
        const replayed = await resumed.next((f) => f.type === 'Message');
        expect(replayed.message.attachments).to.deep.equal([file]);
      } finally {
        await resumed.close();
      }
      await c.api.request('DELETE', `/messages/${sent.body.id}`, { token: a.token });
      const after = await c.api.get(`/sync?position=${encodeURIComponent(start)}`, b.token);
      const redacted = after.body.events.find((e: any) => e.type === 'Message');
      expect(redacted.message).to.include({ deleted: true, text: '' });
      expect(redacted.message.attachments).to.deep.equal([]);
    } finally {
      await socket.close();
    }
  });

  it('when files are made then /metrics counts them, new and duplicate content apart', async () => {
    const a = await c.api.newUser('metrics');
    const data = randomBytes(1234);
    await c.api.upload(data, 'm1.bin', a.token);
    await c.api.upload(data, 'm2.bin', a.token);
    const text = (await c.api.get('/metrics')).body as string;
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('msgr_files_created_total{kind="new"}')).to.be.at.least(1);
    expect(value('msgr_files_created_total{kind="duplicate"}')).to.be.at.least(1);
    expect(value('msgr_file_bytes_received_total')).to.be.at.least(2 * 1234);
  });
});

describe('file ids', () => {
  it('when ids are drawn then none starts with "-" (a command line would take it for an option), and they stay 22 base64url characters', () => {
    // One draw in 64 would start with "-": 20,000 draws without one say the rule holds.
    for (let i = 0; i < 20_000; i++) {
      const id = newFileId();
      expect(id).to.match(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
