/**
 * A subscriber's network path goes dead (its socket runs through the fault proxy, which then
 * drops every byte and keeps the connection open). With `WS_HEARTBEAT_MS=500` the server must
 * drop that socket within two heartbeats (one ping unanswered), so that its open-socket count
 * (`msgr_ws_open_sockets`) returns to its baseline instead of holding dead sockets forever. When
 * the path is back the subscriber learns its socket is gone, reconnects and resumes: no loss.
 */
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import { startFaultCluster, waitFor, type FaultCluster } from '../support/fault-cluster.js';
import {
  Api,
  OperationIdPool,
  scaled,
  standardSenders,
  standardWorld,
  startSenders,
  startSubscriber,
  type RunningSubscriber,
} from '../support/fault-workload.js';
import { listen, type NetProxy } from '../support/net-proxy.js';

const NAME = 'blackholed client socket';
const HEARTBEAT_MS = 500;
/** Two heartbeats, plus room for a loaded machine's timers and the metrics poll. */
const DROPPED_WITHIN_MS = 2 * HEARTBEAT_MS + 2000;
const SOCKETS = 'msgr_ws_open_sockets';

describe('faults: blackholed client socket', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let path: NetProxy | undefined;
  const subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('client-blackhole', {
      env: { WS_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    path = await listen(cluster.instances[0]!.port);
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await path?.close();
    await cluster?.close();
  });

  it(`${NAME}: the server drops it within two heartbeats and its socket count returns to baseline`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('clientblackhole');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances } = cluster;
    const victimInstance = instances[0]!;
    const world = await standardWorld(audit, new Api(urls[1]!), opIds);
    const [ana, ben, cy] = world.people;
    // Healthy sockets on the same instance: the baseline is not zero.
    subscribers.push(
      await startSubscriber(audit, { label: 'ana/all', person: ana!, hosts: [urls[0]!] }),
      await startSubscriber(audit, {
        label: 'ben/group-0',
        person: ben!,
        hosts: [urls[0]!],
        chatId: world.chats[0]!.chatId,
      }),
    );
    const baseline = await waitFor('the baseline socket count', async () => {
      const n = await victimInstance.metric(SOCKETS);
      return n === 2 ? n : undefined;
    });
    const victim = await startSubscriber(audit, {
      label: 'cy/all (through the proxy)',
      person: cy!,
      hosts: [path!.url],
    });
    subscribers.push(victim);
    await waitFor('the victim socket to count', async () =>
      (await victimInstance.metric(SOCKETS)) === baseline + 1 ? true : undefined,
    );
    const senders = await startSenders(audit, world, standardSenders(world, urls, 1), opIds);
    try {
      await senders.untilMore(scaled(40), 'before the blackhole');
      const t0 = Date.now();
      path!.blackhole();
      const droppedMs = await waitFor(
        `${SOCKETS} back at ${baseline}`,
        async () =>
          (await victimInstance.metric(SOCKETS)) === baseline ? Date.now() - t0 : undefined,
        { timeoutMs: 15_000, everyMs: 50 },
      ).catch(() => -1);
      checks.observe('dropped_after_ms', droppedMs);
      checks.observe('heartbeat_ms', HEARTBEAT_MS);
      checks.expect(
        droppedMs >= 0 && droppedMs <= DROPPED_WITHIN_MS,
        droppedMs < 0
          ? `the server still counts the dead socket 15 s after its path went dead`
          : `the server took ${droppedMs} ms to drop the dead socket (two heartbeats: ${2 * HEARTBEAT_MS} ms, allowed ${DROPPED_WITHIN_MS} ms)`,
      );
      await senders.untilMore(scaled(40), 'while the victim is cut off');
      checks.expect(victim.stats.opens === 1, 'the victim reconnected while its path was dead');
      path!.pass();
      await waitFor('the victim to reconnect once its path is back', () =>
        victim.stats.opens >= 2 ? true : undefined,
      ).catch((err: Error) => checks.expect(false, err.message));
      await senders.untilMore(scaled(40), 'after the path came back');
    } finally {
      await senders.stop();
    }
    await finishScenario({
      audit,
      databaseUrl: cluster.databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
    });
  });
});
