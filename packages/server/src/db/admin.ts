import pg from 'pg';

/**
 * Creates database `name` on the server of `adminUrl` unless it exists. Safe when several
 * processes race to create it (`npm start` twice, the cluster script and its instances).
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
        .catch((err: unknown) => {
          // A sibling created it first.
          if ((err as { code?: string }).code !== '42P04') throw err;
        });
    }
  } finally {
    await client.end();
  }
}
