/**
 * The fault proxy itself, against a loopback echo server: each mode does what the scenarios rely
 * on. Lower bounds only where time matters (a loaded machine makes things slower, never faster).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { listen, type NetProxy } from '../support/net-proxy.js';

interface Peer {
  socket: net.Socket;
  received(): string;
  /** Resolves once `text` has arrived in full (bounded). */
  until(text: string, timeoutMs?: number): Promise<void>;
  /** How the connection ended, once it has: 'end' (FIN), or the error code. */
  readonly ended: Promise<string>;
}

function peer(socket: net.Socket): Peer {
  let data = '';
  const waiters = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    data += d.toString();
    for (const w of [...waiters]) w();
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  return {
    socket,
    received: () => data,
    ended,
    until: (text, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!data.includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`never received ${JSON.stringify(text)}; got ${JSON.stringify(data)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

async function connect(port: number): Promise<Peer> {
  const socket = net.connect(port, '127.0.0.1');
  const p = peer(socket);
  await once(socket, 'connect');
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault proxy (support/net-proxy.ts)', function () {
  this.timeout(20_000);
  let target: net.Server;
  /** The server side of every connection the echo server accepted, in order. */
  let serverSides: Peer[];
  let proxy: NetProxy;

  beforeEach(async () => {
    serverSides = [];
    target = net.createServer({ allowHalfOpen: true }, (s) => {
      serverSides.push(peer(s));
      s.on('data', (d) => s.write(d)); // echo
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    proxy = await listen((target.address() as net.AddressInfo).port);
  });

  afterEach(async () => {
    await proxy.close();
    for (const s of serverSides) s.socket.destroy();
    await new Promise((r) => target.close(r));
  });

  it('when passing then bytes go both ways, and a FIN is passed on', async () => {
    const c = await connect(proxy.port);
    c.socket.write('hello');
    await c.until('hello');
    c.socket.end();
    expect(await serverSides[0]!.ended).to.equal('end');
    expect(proxy.stats.relayedBytes).to.equal(10);
  });

  it('when delaying then each chunk is held at least that long and order is kept', async () => {
    proxy.delay(300);
    const c = await connect(proxy.port);
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) c.socket.write(`${i},`);
    const expected = Array.from({ length: 20 }, (_, i) => `${i},`).join('');
    await c.until(expected);
    // Held on the way there and on the way back.
    expect(Date.now() - t0).to.be.at.least(590);
    expect(c.received()).to.equal(expected);
    proxy.pass();
    c.socket.write('fast');
    await c.until('fast');
  });

  it('when blackholed then bytes vanish both ways, nobody sees a close, and pass() revives it', async () => {
    const c = await connect(proxy.port);
    c.socket.write('before');
    await c.until('before');
    proxy.blackhole();
    c.socket.write('lost');
    serverSides[0]!.socket.write('also lost');
    // A new connection is accepted but carries nothing either.
    const late = await connect(proxy.port);
    late.socket.write('late');
    await sleep(500);
    expect(c.received()).to.equal('before');
    expect(serverSides[0]!.received()).to.equal('before');
    expect(late.received()).to.equal('');
    // The server side hangs up meanwhile: the client must not hear of it yet.
    serverSides[0]!.socket.end();
    await sleep(300);
    const noticed = await Promise.race([c.ended, sleep(10).then(() => 'still open')]);
    expect(noticed).to.equal('still open');
    expect(proxy.stats.droppedBytes).to.be.at.least('lost'.length + 'also lost'.length);

    proxy.pass();
    expect(await c.ended).to.equal('end');
    late.socket.write('back');
    await late.until('back');
    expect(late.received()).to.equal('back');
  });

  it('when reset then both sides of every connection get an RST', async () => {
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    a.socket.write('x');
    b.socket.write('y');
    await Promise.all([a.until('x'), b.until('y')]);
    expect(proxy.reset()).to.equal(2);
    expect(await a.ended).to.equal('ECONNRESET');
    expect(await b.ended).to.equal('ECONNRESET');
    expect(await serverSides[0]!.ended).to.equal('ECONNRESET');
    // The proxy still accepts new connections.
    const c = await connect(proxy.port);
    c.socket.write('z');
    await c.until('z');
  });

  it('when refusing then new connections are reset at once and existing ones carry on', async () => {
    const old = await connect(proxy.port);
    proxy.refuse();
    const refused = peer(net.connect(proxy.port, '127.0.0.1'));
    expect(await refused.ended).to.equal('ECONNRESET');
    expect(serverSides).to.have.length(1);
    old.socket.write('still here');
    await old.until('still here');
    proxy.pass();
    const fresh = await connect(proxy.port);
    fresh.socket.write('ok');
    await fresh.until('ok');
    expect(proxy.stats.refused).to.equal(1);
  });

  it('when the target is down then the client is reset', async () => {
    await new Promise((r) => target.close(r));
    const c = peer(net.connect(proxy.port, '127.0.0.1'));
    expect(await c.ended).to.equal('ECONNRESET');
    target.listen(0, '127.0.0.1'); // for afterEach
    await once(target, 'listening');
  });

  it('when closed then its port refuses connections', async () => {
    await proxy.close();
    const c = peer(net.connect(proxy.port, '127.0.0.1'));
    expect(await c.ended).to.equal('ECONNREFUSED');
    proxy = await listen((target.address() as net.AddressInfo).port); // for afterEach
  });
});
