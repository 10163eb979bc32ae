/**
 * A TCP proxy on 127.0.0.1 that plays a bad network between a client and a server: it relays
 * (`pass`), holds every chunk for a while (`delay`), silently drops every byte while keeping
 * connections open (`blackhole`, a dead path: no FIN, no RST), resets every connection (`reset`),
 * or resets new connections at once (`refuse`). For fault tests only; everything stays on
 * loopback and `close()` ends it all.
 */
import { once } from 'node:events';
import net from 'node:net';

export interface NetProxyStats {
  /** Connections accepted and relayed (refused ones not included). */
  accepted: number;
  /** Connections reset at once by `refuse()`. */
  refused: number;
  /** Connections reset by `reset()`. */
  reset: number;
  /** Bytes relayed, both ways. */
  relayedBytes: number;
  /** Bytes dropped by `blackhole()`, both ways. */
  droppedBytes: number;
}

export interface NetProxy {
  /** The port to connect to instead of the target's. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for HTTP and WebSocket clients. */
  readonly url: string;
  /** Connections open now. */
  readonly openConnections: number;
  readonly stats: Readonly<NetProxyStats>;
  /** Relays everything at once; ends `delay`, `blackhole` and `refuse`. */
  pass(): void;
  /**
   * Holds each chunk `ms` before relaying it (order kept); ends `blackhole`. `only`: the client's
   * bytes to the server (`up`) or the server's to the client (`down`); the other way relays at once.
   */
  delay(ms: number, only?: Direction): void;
  /**
   * Keeps every connection (and new ones) open and drops all bytes both ways; a side that
   * closes meanwhile is not told to the other until the path is back (`pass`/`delay`).
   */
  blackhole(): void;
  /** Resets (RST) every current connection, both sides; returns how many. */
  reset(): number;
  /** Resets new connections at once (existing ones carry on); `pass()` ends it. */
  refuse(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** `up`: from the client to the server; `down`: back. */
export type Direction = 'up' | 'down';

/** One direction of one connection: an ordered queue so that delays never reorder bytes. */
class Lane {
  private readonly queue: { chunk: Buffer; dueAt: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly state: ProxyState,
    private readonly direction: Direction,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    if (this.state.isBlackholed) {
      this.state.stats.droppedBytes += chunk.length;
      return;
    }
    const last = this.queue.at(-1)?.dueAt ?? 0;
    this.queue.push({
      chunk,
      dueAt: Math.max(Date.now() + this.state.delayMs[this.direction], last),
    });
    this.pump();
  }

  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      if (this.state.isBlackholed) {
        this.state.stats.droppedBytes += head.chunk.length;
        continue;
      }
      if (this.to.destroyed) continue;
      this.state.stats.relayedBytes += head.chunk.length;
      // Back-pressure: a slow reader slows its writer, as on a real path.
      if (!this.to.write(head.chunk) && !this.from.isPaused()) {
        this.from.pause();
        this.to.once('drain', () => this.from.resume());
      }
    }
  }

  get isIdle(): boolean {
    return this.queue.length === 0;
  }

  /** Releases queued chunks whose time has come (after the mode changed). */
  retime(): void {
    const now = Date.now();
    for (const item of this.queue)
      item.dueAt = Math.min(item.dueAt, now + this.state.delayMs[this.direction]);
    this.pump();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

interface ProxyState {
  delayMs: Record<Direction, number>;
  isBlackholed: boolean;
  isRefusing: boolean;
  stats: NetProxyStats;
}

/** A client connection and its upstream twin. */
class Pair {
  private readonly lanes: Lane[];
  /** How a side ended while the path was dead: told to the other side once it is back. */
  private heldEnd: { side: net.Socket; how: 'end' | 'reset' } | undefined;
  isClosed = false;

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    private readonly state: ProxyState,
    private readonly onClosed: (pair: Pair) => void,
  ) {
    this.lanes = [
      new Lane(client, upstream, state, 'up'),
      new Lane(upstream, client, state, 'down'),
    ];
    for (const [side, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      side.on('end', () => this.ended(side, other, 'end'));
      side.on('error', () => this.ended(side, other, 'reset'));
      side.on('close', () => {
        if (this.client.destroyed && this.upstream.destroyed) this.finish();
      });
    }
  }

  private ended(side: net.Socket, other: net.Socket, how: 'end' | 'reset'): void {
    if (this.state.isBlackholed) {
      this.heldEnd ??= { side, how };
      return;
    }
    this.propagate(other, how);
  }

  private propagate(other: net.Socket, how: 'end' | 'reset'): void {
    if (other.destroyed) return;
    if (how === 'reset') other.resetAndDestroy();
    else if (this.lanes.every((l) => l.isIdle)) other.end();
    else setTimeout(() => this.propagate(other, how), 10);
  }

  /** The path is back: deliver what is due, and an end that happened meanwhile. */
  revive(): void {
    for (const lane of this.lanes) lane.retime();
    if (this.heldEnd) {
      const { side, how } = this.heldEnd;
      this.heldEnd = undefined;
      this.propagate(side === this.client ? this.upstream : this.client, how);
    }
  }

  reset(): void {
    for (const lane of this.lanes) lane.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  destroy(): void {
    for (const lane of this.lanes) lane.stop();
    this.client.destroy();
    this.upstream.destroy();
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const lane of this.lanes) lane.stop();
    this.onClosed(this);
  }
}

/**
 * Listens on an ephemeral loopback port and relays each connection to `targetPort`.
 *
 * @example
 * const proxy = await listen(postgresPort);
 * proxy.blackhole(); // …the database path is dead…
 * proxy.pass();
 */
export async function listen(
  targetPort: number,
  { targetHost = '127.0.0.1' }: { targetHost?: string } = {},
): Promise<NetProxy> {
  const state: ProxyState = {
    delayMs: { up: 0, down: 0 },
    isBlackholed: false,
    isRefusing: false,
    stats: { accepted: 0, refused: 0, reset: 0, relayedBytes: 0, droppedBytes: 0 },
  };
  const pairs = new Set<Pair>();
  // Half-open allowed on both sides: the proxy, not Node, decides when a FIN is passed on.
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    if (state.isRefusing) {
      state.stats.refused++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    state.stats.accepted++;
    const upstream = net.connect({ port: targetPort, host: targetHost, allowHalfOpen: true });
    const pair = new Pair(client, upstream, state, (p) => pairs.delete(p));
    pairs.add(pair);
    upstream.once('connect', () => client.resume());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;

  const revive = () => {
    for (const pair of pairs) pair.revive();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get openConnections() {
      return pairs.size;
    },
    stats: state.stats,
    pass() {
      state.delayMs = { up: 0, down: 0 };
      state.isBlackholed = false;
      state.isRefusing = false;
      revive();
    },
    delay(ms, only) {
      state.delayMs = { up: only === 'down' ? 0 : ms, down: only === 'up' ? 0 : ms };
      state.isBlackholed = false;
      revive();
    },
    blackhole() {
      state.isBlackholed = true;
    },
    reset() {
      const current = [...pairs];
      for (const pair of current) pair.reset();
      state.stats.reset += current.length;
      return current.length;
    },
    refuse() {
      state.isRefusing = true;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const pair of pairs) pair.destroy();
      pairs.clear();
      await closed;
    },
  };
}
