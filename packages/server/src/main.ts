/**
 * `npm start`: one server instance. Without DATABASE_URL it runs an embedded PostgreSQL whose
 * data survives restarts. Wiring only; the work is in server.ts and db/.
 */
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startEmbeddedPostgres, withDatabase, type EmbeddedPostgres } from './db/embedded.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
        .catch((err: unknown) => {
          // A sibling instance created it first.
          if ((err as { code?: string }).code !== '42P04') throw err;
        });
    }
  } finally {
    await client.end();
  }
}

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
  const logger = createLogger(config.logLevel);

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

  let isStopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (isStopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    isStopping = true;
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
