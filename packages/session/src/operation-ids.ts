/**
 * The operation-id counter of a saved session, kept between runs and shared by every process
 * that uses the config (each `msgr send`, a running `msgr-tui`). Without it each process starts
 * an in-memory counter at a random place, so a script sending the same text to the same target
 * N times inside the server's idempotency window hits a repeated id with probability ≈ N²/131,072
 * (7 % at N = 100), and the server answers that send as a replay: nothing is sent.
 *
 * How: a folder beside the config file (mode 0700) holds one empty file (mode 0600) per id handed
 * out, its name `<id>-<ms since epoch>-<pid>-<random>`: a claim. A claim is made with O_EXCL
 * under a name nobody else can pick, then the folder is read again; if another live claim for
 * the same id is there, ours gives way (it stays, unused, and expires like any other) and the
 * next id is tried. Of two processes that claim the same id at once, at least one lists the
 * folder after both files exist and gives way, so no two ever use the same id. There is no lock
 * to go stale: a process killed at any point leaves at most a claim that expires.
 *
 * The next id is the one after the newest claim (the counter continues across runs), skipping
 * ids still claimed inside the window (the server's idempotency window plus a minute for the
 * send's own retries and clock skew); when all 65,536 are, `next()` waits for the oldest to expire. Expired claims are
 * deleted as it goes, all but the newest (which carries the counter on).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { OperationIdSource } from '@msgr/sdk';

const SPAN = 65_536;
const MIN = -32_768;
/**
 * Added to the window: the server counts it from when the message was made, which is after the
 * claim by the send's own retries (seconds) and the clocks' skew.
 */
const MARGIN_MS = 60_000;
/** Rounds of claim-and-check before giving up (each lost round means another process won). */
const MAX_ROUNDS = 200;
const CLAIM = /^(\d{1,5})-(\d{1,16})-(\d{1,10})-([0-9a-f]{8,})$/;

interface Claim {
  name: string;
  /** 0..65535 (the int16 id + 32768). */
  slot: number;
  /** When it was made, in ms since the epoch. */
  at: number;
}

/** Options of {@link FileOperationIds}. */
export interface FileOperationIdsOptions {
  /** The server's idempotency window (IDEMPOTENCY_WINDOW_SECONDS), in seconds. Default 300. */
  windowSeconds?: number;
}

/** The claims folder of a config file: beside it, `<name>.operation-ids` (config.json → config.operation-ids). */
export function operationIdsDir(configFile: string): string {
  const { dir, name } = path.parse(configFile);
  return path.join(dir, `${name}.operation-ids`);
}

/**
 * An SDK `OperationIdSource` (option `operationIds` of `MessengerClient`) over a claims folder,
 * safe for any number of processes at once, and continuing across runs.
 *
 * @example
 * const client = new MessengerClient({ hosts, operationIds: new FileOperationIds(operationIdsDir(configFile)) });
 */
export class FileOperationIds implements OperationIdSource {
  private readonly windowMs: number;

  constructor(
    /** The claims folder; created (mode 0700) on first use. */
    readonly dir: string,
    { windowSeconds = 300 }: FileOperationIdsOptions = {},
  ) {
    this.windowMs = windowSeconds * 1000;
  }

  /** The next free id (an int16); waits when every id is claimed inside the window. */
  async next(signal?: AbortSignal): Promise<number> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    let skip = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      signal?.throwIfAborted();
      const now = Date.now();
      const claims = await this.claims();
      const live = claims.filter((c) => this.isLive(c, now));
      await this.sweep(claims, now);
      const slot = this.pick(claims, live, skip);
      if (slot === undefined) {
        // All 65,536 are inside the window: the oldest frees first.
        const oldest = live.reduce((min, c) => Math.min(min, c.at), Infinity);
        await sleep(oldest + this.windowMs + MARGIN_MS - now + 1, signal);
        continue;
      }
      const mine = await this.claim(slot);
      if (mine === undefined) continue; // the very same name exists: try again
      const rivals = (await this.claims()).filter(
        (c) => c.slot === slot && c.name !== mine.name && this.isLive(c, Date.now()),
      );
      if (rivals.length === 0) return slot + MIN;
      // Someone claimed it at the same moment: give way (the claim stays, and expires), and
      // skip a little further next time, at random, so two rivals do not meet again.
      skip = 1 + Math.floor(Math.random() * 4);
      await sleep(Math.random() * 10, signal);
    }
    throw new Error(`no free operation id after ${MAX_ROUNDS} tries in ${this.dir}`);
  }

  private isLive(claim: Claim, now: number): boolean {
    return claim.at + this.windowMs + MARGIN_MS > now;
  }

  /** The slot after the newest claim (plus `skip`), passing over those still claimed. */
  private pick(claims: Claim[], live: Claim[], skip: number): number | undefined {
    const newest = claims.reduce<Claim | undefined>(
      (best, c) => (!best || c.at > best.at || (c.at === best.at && c.name > best.name) ? c : best),
      undefined,
    );
    const start =
      newest === undefined ? Math.floor(Math.random() * SPAN) : (newest.slot + 1 + skip) % SPAN;
    const taken = new Set(live.map((c) => c.slot));
    for (let step = 0; step < SPAN; step++) {
      const slot = (start + step) % SPAN;
      if (!taken.has(slot)) return slot;
    }
    return undefined;
  }

  /** Creates the claim file; undefined in the (astronomically unlikely) case its name exists. */
  private async claim(slot: number): Promise<Claim | undefined> {
    const at = Date.now();
    const name = `${slot}-${at}-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      const handle = await fs.open(path.join(this.dir, name), 'wx', 0o600);
      await handle.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw err;
    }
    return { name, slot, at };
  }

  private async claims(): Promise<Claim[]> {
    const names = await fs.readdir(this.dir);
    return names.flatMap((name) => {
      const m = CLAIM.exec(name);
      if (!m) return [];
      const slot = Number(m[1]);
      return slot < SPAN ? [{ name, slot, at: Number(m[2]) }] : [];
    });
  }

  /** Deletes expired claims, all but the newest; names are unique, so only dead ones go. */
  private async sweep(claims: Claim[], now: number): Promise<void> {
    const newestAt = claims.reduce((max, c) => Math.max(max, c.at), 0);
    const dead = claims.filter((c) => !this.isLive(c, now) && c.at < newestAt);
    await Promise.all(
      dead.map((c) => fs.rm(path.join(this.dir, c.name), { force: true }).catch(() => undefined)),
    );
  }
}

/** Node's delay, rejecting with the signal's own reason (as every wait of the SDK does). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal?.aborted ? (signal.reason as Error) : err;
  });
}
