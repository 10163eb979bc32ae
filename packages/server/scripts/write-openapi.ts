/**
 * Writes openapi/openapi.json from the server's route schemas (`npm run openapi`).
 * The committed copy is checked against the server by test/openapi.test.ts.
 */
import fs from 'node:fs/promises';
import {
  buildOpenApiDocument,
  COMMITTED_OPENAPI_PATH,
  serializeOpenApiDocument,
} from '../src/http/openapi.js';

const target = COMMITTED_OPENAPI_PATH;
await fs.writeFile(target, serializeOpenApiDocument(buildOpenApiDocument()));
console.log(`wrote ${target.pathname}`);
