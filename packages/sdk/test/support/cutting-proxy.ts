/**
 * A TCP relay on loopback that cuts the connection once: when the `cutAt`-th byte from clients
 * (counted over every connection) would pass, the bytes before it go through to the server, which
 * then sees the connection end, and the client's side is reset — a network that fails in the
 * middle of an upload. Later connections relay untouched.
 * (support/net-proxy.ts of the server cuts on command, not at a byte.)
 */
import { once } from 'node:events';
import net from 'node:net';

export interface CuttingProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections cut so far (0 or 1). */
  readonly cuts: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes from clients passed on so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function cuttingProxy(targetPort: number, cutAt: number): Promise<CuttingProxy> {
  let forwarded = 0;
  let cuts = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1' });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let isCut = false;
    client.on('data', (chunk: Buffer) => {
      if (isCut) return;
      if (cuts === 0 && forwarded + chunk.length >= cutAt) {
        cuts++;
        isCut = true;
        client.pause();
        // The server gets every byte before the cut, then the end of the connection (as when a
        // client dies); the client gets a reset.
        upstream.end(chunk.subarray(0, cutAt - forwarded), () => client.resetAndDestroy());
        forwarded = cutAt;
        return;
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    get forwarded() {
      return forwarded;
    },
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
