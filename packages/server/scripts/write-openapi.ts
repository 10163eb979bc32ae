/**
 * Writes openapi/openapi.json (REST) and openapi/asyncapi.json (WebSocket) from the server's
 * schemas (`npm run openapi`). The committed copies are checked by test/openapi.test.ts.
 */
import fs from 'node:fs/promises';
import {
  buildAsyncApiDocument,
  buildOpenApiDocument,
  COMMITTED_ASYNCAPI_PATH,
  COMMITTED_OPENAPI_PATH,
  serializeOpenApiDocument,
} from '../src/api-documents.js';

for (const [target, document] of [
  [COMMITTED_OPENAPI_PATH, buildOpenApiDocument()],
  [COMMITTED_ASYNCAPI_PATH, buildAsyncApiDocument()],
] as const) {
  await fs.writeFile(target, serializeOpenApiDocument(document));
  console.log(`wrote ${target.pathname}`);
}
