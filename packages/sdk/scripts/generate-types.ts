/**
 * `npm run generate -w @msgr/sdk`: src/generated/openapi.ts from the server's two documents —
 * the REST API (openapi/openapi.json) and the WebSocket protocol (openapi/asyncapi.json), whose
 * frame schemas join the REST ones under `components['schemas']`. So event types are generated
 * like REST types, from the server's one description of each frame.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const ROOT = new URL('../../../openapi/', import.meta.url);
export const GENERATED = new URL('../src/generated/openapi.ts', import.meta.url);

interface Document {
  components?: { schemas?: Record<string, unknown> };
}

/** The generated file's text: openapi-typescript's header and types, as its CLI writes them. */
export async function generateTypes(): Promise<string> {
  const read = async (name: string) =>
    JSON.parse(await fs.readFile(new URL(name, ROOT), 'utf8')) as Document;
  const [rest, sockets] = await Promise.all([read('openapi.json'), read('asyncapi.json')]);
  const merged = {
    ...rest,
    components: {
      ...rest.components,
      schemas: { ...rest.components?.schemas, ...sockets.components?.schemas },
    },
  };
  return `${COMMENT_HEADER}${astToString(await openapiTS(merged as never, { silent: true }))}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await fs.writeFile(GENERATED, await generateTypes());
  console.log(`wrote ${GENERATED.pathname}`);
}
