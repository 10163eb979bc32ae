/**
 * Mocha global fixture: one PostgreSQL per test run (embedded, or DATABASE_URL's server), with a
 * migrated template database that every suite copies (CREATE DATABASE … TEMPLATE is fast).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import {
  startEmbeddedPostgres,
  withDatabase,
  type EmbeddedPostgres,
} from '../../src/db/embedded.js';
import { startServer } from '../../src/server.js';

let embedded: EmbeddedPostgres | undefined;
let tmpDir: string | undefined;

export const TEMPLATE_DB = `msgr_template_${process.pid}`;

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function mochaGlobalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-test-'));
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(tmpDir, 'pg'),
      port: 20_000 + Math.floor(Math.random() * 20_000),
      settings: {
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        max_connections: 300,
      },
    });
    adminUrl = embedded.url;
  }
  process.env.MSGR_TEST_ADMIN_URL = adminUrl;
  process.env.MSGR_TEST_TEMPLATE = TEMPLATE_DB;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${TEMPLATE_DB}`);
  // One server start migrates the template and seeds the demo users; then it must be idle.
  const server = await startServer(
    loadConfig(
      {},
      {
        databaseUrl: withDatabase(adminUrl, TEMPLATE_DB),
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        bcryptRounds: 4,
        jwtSecret: 'test-secret-that-is-long-enough',
      },
    ),
  );
  await server.close();
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (embedded) {
    await embedded.stop();
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
  } else if (process.env.MSGR_TEST_ADMIN_URL) {
    await adminQuery(process.env.MSGR_TEST_ADMIN_URL, `DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  }
}
