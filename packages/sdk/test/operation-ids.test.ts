/**
 * OperationIds: the int16 counter behind exactly-once sends. It must never hand out an id the
 * server may still hold for an earlier message (inside the idempotency window).
 */
import { expect } from 'chai';
import { OperationIds } from '../src/operation-ids.js';

const SPAN = 65_536;

/** A `random()` that makes the counter start at `id` (an int16). */
function startingAt(id: number): () => number {
  return () => (id + 32_768) / SPAN;
}

/** Whether `promise` is still pending after the event loop had a moment to settle it. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let isSettled = false;
  void promise.then(
    () => (isSettled = true),
    () => (isSettled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  return !isSettled;
}

describe('sdk OperationIds', () => {
  it('starts from the random value given, mapped onto the int16 range', async () => {
    expect(await new OperationIds(1000, () => 0).next()).to.equal(-32_768);
    expect(await new OperationIds(1000, () => 0.5).next()).to.equal(0);
    expect(await new OperationIds(1000, () => 0.999_999_9).next()).to.equal(32_767);
    expect(await new OperationIds(1000, startingAt(1234)).next()).to.equal(1234);
  });

  it('after a conflict, jumps to a new random place instead of the next id', async () => {
    const draws = [startingAt(10)(), startingAt(-20_000)()];
    const ids = new OperationIds(1000, () => draws.shift()!);
    expect([await ids.next(), await ids.next()]).to.deep.equal([10, 11]);
    ids.conflicted();
    expect([await ids.next(), await ids.next()]).to.deep.equal([-20_000, -19_999]);
  });

  it('counts up by one from its start', async () => {
    const ids = new OperationIds(1000, startingAt(-5));
    const got = [await ids.next(), await ids.next(), await ids.next()];
    expect(got).to.deep.equal([-5, -4, -3]);
  });

  it('wraps from 32767 to -32768', async () => {
    const ids = new OperationIds(1000, startingAt(32_766));
    const got = [await ids.next(), await ids.next(), await ids.next()];
    expect(got).to.deep.equal([32_766, 32_767, -32_768]);
  });

  it('hands out all 65,536 ids without waiting, each once', async function () {
    this.timeout(10_000);
    const ids = new OperationIds(300_000, startingAt(100));
    const seen = new Set<number>();
    const started = Date.now();
    for (let i = 0; i < SPAN; i++) seen.add(await ids.next());
    expect(seen.size).to.equal(SPAN);
    expect(Math.min(...seen)).to.equal(-32_768);
    expect(Math.max(...seen)).to.equal(32_767);
    expect(Date.now() - started).to.be.lessThan(3000);
  });

  it('when the cycle comes back to an id still inside its window then next() waits, then reuses it', async function () {
    this.timeout(10_000);
    const windowMs = 50;
    const ids = new OperationIds(windowMs, startingAt(7));
    const first = await ids.next();
    const firstAt = Date.now();
    for (let i = 1; i < SPAN; i++) await ids.next();
    const again = await ids.next();
    const reusedAt = Date.now();
    expect(first).to.equal(7);
    expect(again).to.equal(first);
    // The id came back only after its window (plus a clock margin the class adds) had passed.
    expect(reusedAt - firstAt).to.be.at.least(windowMs);
    expect(reusedAt - firstAt).to.be.lessThan(5000);
  });

  it('when the window is long then the 65,537th id stays pending instead of reusing one', async function () {
    this.timeout(10_000);
    const ids = new OperationIds(300_000, startingAt(0));
    for (let i = 0; i < SPAN; i++) await ids.next();
    const controller = new AbortController();
    const waiting = ids.next(controller.signal);
    expect(await isPending(waiting)).to.be.true;
    controller.abort();
    await waiting.catch(() => undefined);
  });

  it('when the signal aborts while next() waits then it rejects with the signal reason', async function () {
    this.timeout(10_000);
    const ids = new OperationIds(300_000, startingAt(0));
    for (let i = 0; i < SPAN; i++) await ids.next();
    const controller = new AbortController();
    const reason = new Error('user gave up');
    const waiting = ids.next(controller.signal);
    const started = Date.now();
    controller.abort(reason);
    let caught: unknown;
    try {
      await waiting;
    } catch (err) {
      caught = err;
    }
    expect(caught).to.equal(reason);
    expect(Date.now() - started).to.be.lessThan(1000);
  });

  it('when the signal is already aborted and an id is free then next() still answers at once', async () => {
    // No wait, so nothing to abort: the send itself will notice the aborted signal.
    const ids = new OperationIds(300_000, startingAt(3));
    expect(await ids.next(AbortSignal.abort())).to.equal(3);
  });
});
