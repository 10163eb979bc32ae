import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';
import type { Logger } from '../logger.js';
import { channelName, type Bus, type BusChoice } from './bus.js';
import { NatsBus } from './bus-nats.js';
import { PostgresBus } from './bus-postgres.js';
import { RedisBus } from './bus-redis.js';

/**
 * The bus `choice` names, on `db`'s deployment. Engine buses are named after the database
 * (its random `bus_relay.deployment` and its name), so deployments sharing one Redis or NATS —
 * or the test suites' databases, copies of one template — never hear each other.
 */
export async function createBus(
  choice: BusChoice,
  { databaseUrl, db, logger }: { databaseUrl: string; db: Database; logger: Logger },
): Promise<Bus> {
  if (choice.kind === 'postgres') return new PostgresBus(databaseUrl, db, logger);
  const [row] = await db.query<{ name: string }>(R.deploymentName);
  if (!row) throw new Error('bus_relay has no row: migrations/005-bus.ts did not run');
  // A deployment half on NOTIFY and half on an engine would deliver each half's events to its
  // own half only: say so loudly (the instances cannot fix it, the operator can).
  const [listeners] = await db.query<{ n: number }>(R.postgresListeners);
  if ((listeners?.n ?? 0) > 0) {
    logger.warn(
      { listeners: listeners!.n, bus: choice.kind },
      'instances with MSGR_BUS=postgres use this database too: every instance must use the same bus',
    );
  }
  const channel = channelName(choice.kind, row.name);
  logger.info({ bus: choice.kind, channel }, 'realtime bus');
  return choice.kind === 'redis'
    ? new RedisBus(choice.url, channel, logger)
    : new NatsBus(choice.url, channel, logger);
}
