/**
 * Mocha global fixture: one PostgreSQL per test run (embedded, or DATABASE_URL's server), with a
 * migrated template database that every suite copies (CREATE DATABASE … TEMPLATE is fast).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { withDatabase, type EmbeddedPostgres } from '../../src/db/embedded.js';
import { startServer } from '../../src/server.js';
import { setTestEngine, startEngine, testBusKind, type Engine } from './engines.js';
import { testConfig, throwawayPostgres } from './harness.js';

let embedded: EmbeddedPostgres | undefined;
let tmpDir: string | undefined;
let engine: Engine | undefined;

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
    embedded = await throwawayPostgres(path.join(tmpDir, 'pg'));
    adminUrl = embedded.url;
  }
  // MSGR_TEST_BUS=redis|nats: every server of the run on that engine (scripts/test-bus.ts).
  const kind = testBusKind();
  if (kind) {
    engine = await startEngine(kind);
    setTestEngine(engine);
    process.env.MSGR_TEST_BUS_URL = engine.url;
    console.log(`  (realtime bus: ${kind} on ${engine.url})`);
  }
  process.env.MSGR_TEST_ADMIN_URL = adminUrl;
  process.env.MSGR_TEST_TEMPLATE = TEMPLATE_DB;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${TEMPLATE_DB}`);
  // One server start migrates the template and seeds the demo users; then it must be idle.
  const server = await startServer(testConfig(withDatabase(adminUrl, TEMPLATE_DB)));
  await server.close();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await engine?.close();
  if (embedded) {
    await embedded.stop();
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
  } else if (process.env.MSGR_TEST_ADMIN_URL) {
    await adminQuery(process.env.MSGR_TEST_ADMIN_URL, `DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  }
}
