/**
 * `npm start`: one server instance. Without DATABASE_URL it runs an embedded PostgreSQL whose
 * data survives restarts. Wiring only; the work is in server.ts and db/.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { ensureDatabase } from './db/admin.js';
import { startEmbeddedPostgres, withDatabase, type EmbeddedPostgres } from './db/embedded.js';
import { createLogger, isPrettyWanted } from './logger.js';
import { startServer } from './server.js';

/** Signals this soon after the first are the same request to stop (relays, process groups). */
const REPEAT_MS = 3000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msgr: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, {
    isPretty: isPrettyWanted(config.logFormat, {
      isProduction: config.isProduction,
      isTerminal: process.stdout.isTTY === true,
    }),
  });

  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      port: config.embeddedPort,
    });
    logger.info(
      { dataDir: config.embeddedDataDir, port: config.embeddedPort, isOwner: embedded.isOwner },
      'embedded PostgreSQL ready',
    );
    await ensureDatabase(embedded.url, 'msgr');
    config = { ...config, databaseUrl: withDatabase(embedded.url, 'msgr') };
  }

  const server = await startServer(config, { logger }).catch(async (err: unknown) => {
    await embedded?.stop();
    throw err;
  });

  // One stop, however many signals ask for it: systemd (KillMode=control-group), `kill -TERM
  // -PGID` and a terminal's Ctrl-C signal the whole group, and npm and tsx relay the signal to
  // us again a few milliseconds later. Only a signal after REPEAT_MS means "stop now".
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_MS) {
        logger.debug({ signal }, 'signal repeated while stopping: still stopping');
        return;
      }
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, 10_000);
    deadline.unref();
    server
      .close()
      .then(() => embedded?.stop())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `msgr: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
