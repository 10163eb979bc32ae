/**
 * `npm run lint:api`: Redocly's recommended rules over the REST description (OpenAPI) and the
 * WebSocket one (AsyncAPI). Redocly passes on warnings; here a warning fails too: both
 * documents stay clean, not merely valid.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const documents = ['openapi/openapi.json', 'openapi/asyncapi.json'];
const root = new URL('..', import.meta.url);

interface Report {
  totals: { errors: number; warnings: number };
}

let isClean = true;
for (const document of documents) {
  const { stdout } = await run(
    'npx',
    ['--no-install', 'redocly', 'lint', document, '--format=json'],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
      // No telemetry from CI machines (they reach the npm registry only).
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const { totals } = JSON.parse(stdout) as Report;
  const problems = totals.errors + totals.warnings;
  console.log(`${document}: ${totals.errors} errors, ${totals.warnings} warnings`);
  if (problems > 0) isClean = false;
}
if (!isClean) {
  console.error('run `npx redocly lint openapi/openapi.json openapi/asyncapi.json` to see them');
  process.exit(1);
}
