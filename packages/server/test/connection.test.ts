/**
 * Back-pressure and the replay seam of one Connection, driven through a stand-in socket whose
 * send buffer we set (filling a real loopback socket takes megabytes and seconds).
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { Connection } from '../src/realtime/connection.js';
import { TokenBucket } from '../src/realtime/token-bucket.js';

class StandInSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  send(frame: string) {
    this.sent.push(frame);
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = 3;
  }
}

function connection(isReplaying = false, chatId?: number, after?: number) {
  const ws = new StandInSocket();
  const conn = new Connection(ws as unknown as WebSocket, { userId: 1, clientId: 'c' }, chatId, {
    resume: after !== undefined || isReplaying ? { after: after ?? 0 } : undefined,
  });
  return { ws, conn };
}

describe('Connection back-pressure', () => {
  it('when the send buffer stays over its soft limit for 10 s then the socket closes with 1013', () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = 2 * 1024 * 1024;
    conn.checkBackPressure(1_000);
    expect(ws.closedWith).to.equal(undefined);
    conn.checkBackPressure(10_500);
    expect(ws.closedWith).to.equal(undefined);
    conn.checkBackPressure(11_001);
    expect(ws.closedWith).to.equal(1013);
  });

  it('when the buffer drains in between then the clock starts again', () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = 2 * 1024 * 1024;
    conn.checkBackPressure(1_000);
    ws.bufferedAmount = 0;
    conn.checkBackPressure(5_000);
    ws.bufferedAmount = 2 * 1024 * 1024;
    conn.checkBackPressure(12_000);
    expect(ws.closedWith).to.equal(undefined);
  });

  it('when the socket stays behind and nothing more is written then it still closes after 10 s', async () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = 2 * 1024 * 1024;
    const start = Date.now() - 9_950;
    conn.checkBackPressure(start);
    expect(ws.closedWith).to.equal(undefined);
    const deadline = Date.now() + 2000;
    while (ws.closedWith === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(ws.closedWith).to.equal(1013);
  });

  it('when the buffer passes the hard limit then the socket closes at once', () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = 17 * 1024 * 1024;
    conn.deliver('{"type":"Pong"}');
    expect(ws.closedWith).to.equal(1013);
  });
});

describe('Connection limits on what waits for the client', () => {
  it('when live frames pile up during a long replay then they count toward the hard limit (1013)', () => {
    const { ws, conn } = connection(true);
    const frame = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 255; i++) conn.deliver(frame, { chatId: 1, seq: i + 1, isMessage: true });
    expect(ws.closedWith).to.equal(undefined);
    for (let i = 0; i < 10 && ws.closedWith === undefined; i++) {
      conn.deliver(frame, { chatId: 1, seq: 300 + i, isMessage: true });
    }
    expect(ws.closedWith).to.equal(1013);
    // Nothing held is sent after the close.
    conn.finishReplay();
    expect(ws.sent).to.deep.equal([]);
  });

  it('when held frames stay over the soft limit for 10 s then 1013, as unsent bytes would', () => {
    const { ws, conn } = connection(true);
    for (let i = 0; i < 20; i++)
      conn.deliver('y'.repeat(64 * 1024), { chatId: 1, seq: i + 1, isMessage: true });
    conn.checkBackPressure(Date.now() + 10_001);
    expect(ws.closedWith).to.equal(1013);
  });
});

describe('TokenBucket', () => {
  it('when the burst is spent then takes fail until time refills them, never above capacity', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).to.deep.equal([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.take(400)).to.equal(false);
    expect(bucket.take(500)).to.equal(true);
    expect([10_000, 10_000, 10_000, 10_000].map((t) => bucket.take(t))).to.deep.equal([
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('Connection replay seam', () => {
  it('when live frames arrive during a replay then they wait, and replayed messages are not sent twice', () => {
    const { ws, conn } = connection(true);
    conn.deliver('live 11', { chatId: 5, seq: 11, isMessage: true });
    conn.deliver('typing');
    conn.deliver('live 12', { chatId: 5, seq: 12, isMessage: true });
    conn.replay('replay 10', { chatId: 5, seq: 10, isMessage: true });
    conn.replay('replay 11', { chatId: 5, seq: 11, isMessage: true });
    expect(ws.sent).to.deep.equal(['replay 10', 'replay 11']);
    conn.finishReplay();
    expect(ws.sent).to.deep.equal(['replay 10', 'replay 11', 'typing', 'live 12']);
    // A notification handled after the replay, for a message the replay already sent.
    conn.deliver('late 11', { chatId: 5, seq: 11, isMessage: true });
    conn.deliver('other chat 3', { chatId: 6, seq: 3, isMessage: true });
    expect(ws.sent.slice(4)).to.deep.equal(['other chat 3']);
  });

  it('when a chat socket resumes after X then a late live notification for X is not sent again', () => {
    const { ws, conn } = connection(false, 5, 49);
    conn.replay('replay 50', { chatId: 5, seq: 50, isMessage: true });
    conn.finishReplay();
    conn.deliver('live 49', { chatId: 5, seq: 49, isMessage: true });
    conn.deliver('live 51', { chatId: 5, seq: 51, isMessage: true });
    expect(ws.sent).to.deep.equal(['replay 50', 'live 51']);
  });
});

describe('Connection seam of a resume from a position', () => {
  const resumed = (mark: number, seen: number[]) => {
    const ws = new StandInSocket();
    const conn = new Connection(
      ws as unknown as WebSocket,
      { userId: 1, clientId: 'c' },
      undefined,
      {
        resume: { position: { mark, seen } },
      },
    );
    return { ws, conn };
  };

  it('when events of every kind arrive live during the replay then each is sent once, whether replayed, listed or new', () => {
    const { ws, conn } = resumed(10, [12]);
    conn.deliver('edit 11 live', { chatId: 5, seq: 11, isMessage: false });
    conn.deliver('reaction 12 live', { chatId: 6, seq: 12, isMessage: false });
    conn.deliver('typing');
    conn.deliver('read 14 live', { chatId: 5, seq: 14, isMessage: false });
    conn.replay('edit 11', { chatId: 5, seq: 11, isMessage: false });
    conn.replay('message 13', { chatId: 5, seq: 13, isMessage: true });
    conn.finishReplay('subscribed');
    expect(ws.sent).to.deep.equal([
      'edit 11',
      'message 13',
      'subscribed',
      'typing',
      'read 14 live',
    ]);
    // Late announcements: one at or below the mark, one the replay sent.
    conn.deliver('late 9', { chatId: 7, seq: 9, isMessage: false });
    conn.deliver('late 13', { chatId: 5, seq: 13, isMessage: true });
    expect(ws.sent).to.have.length(5);
  });

  it('when a socket resumed ?after= (messages only) then a live edit below a replayed message is still sent', () => {
    const { ws, conn } = connection(false, 5, 40);
    conn.deliver('edit 45 live', { chatId: 5, seq: 45, isMessage: false });
    conn.replay('message 50', { chatId: 5, seq: 50, isMessage: true });
    conn.finishReplay();
    expect(ws.sent).to.deep.equal(['message 50', 'edit 45 live']);
  });
});
