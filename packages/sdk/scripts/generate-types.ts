/**
 * `npm run generate -w @msgr/sdk`: src/generated/ from the server's two documents — the REST
 * API (openapi/openapi.json) and the WebSocket protocol (openapi/asyncapi.json).
 *
 * - openapi.ts: the types. The frame schemas of asyncapi.json join the REST ones under
 *   `components['schemas']`, so event types are generated like REST types, from the server's
 *   one description of each frame.
 * - constants.ts: what the documents publish as values — the close codes (the `CloseCode`
 *   schema), the error codes (`ErrorCode`) and the protocol's limits (`x-msgr-limits`).
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const ROOT = new URL('../../../openapi/', import.meta.url);
export const GENERATED = new URL('../src/generated/openapi.ts', import.meta.url);
export const GENERATED_CONSTANTS = new URL('../src/generated/constants.ts', import.meta.url);

interface Schema {
  enum?: (string | number)[];
  'x-enum-varnames'?: string[];
  'x-enum-descriptions'?: string[];
}

interface Document {
  components?: { schemas?: Record<string, Schema> };
  'x-msgr-limits'?: Record<string, { value: number; description: string }>;
}

const read = async (name: string) =>
  JSON.parse(await fs.readFile(new URL(name, ROOT), 'utf8')) as Document;

/** The generated types' text: openapi-typescript's header and types, as its CLI writes them. */
export async function generateTypes(): Promise<string> {
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

const comment = (text: string, indent = '') =>
  `${indent}/** ${text.replace(/\*\//g, '*\\/').replace(/\n/g, ' ')} */\n`;

/** The generated constants' text. */
export async function generateConstants(): Promise<string> {
  const [rest, sockets] = await Promise.all([read('openapi.json'), read('asyncapi.json')]);
  const close = sockets.components?.schemas?.CloseCode;
  const errors = rest.components?.schemas?.ErrorCode;
  const limits = rest['x-msgr-limits'];
  if (!close?.enum || !close['x-enum-varnames'] || !errors?.enum || !limits) {
    throw new Error('the documents lack CloseCode, ErrorCode or x-msgr-limits');
  }
  let text = COMMENT_HEADER;
  text += comment("The close codes the server uses (asyncapi.json's `CloseCode`).");
  text += 'export const CloseCodes = {\n';
  close['x-enum-varnames'].forEach((name, i) => {
    text += comment(close['x-enum-descriptions']?.[i] ?? name, '  ');
    text += `  ${name}: ${JSON.stringify(close.enum![i])},\n`;
  });
  text += '} as const;\n\n';
  text += comment(
    "Every machine `code` the server answers with (openapi.json's `ErrorCode`), with what it means.",
  );
  text += 'export const ErrorCodes = {\n';
  errors.enum.forEach((code, i) => {
    text += `  ${String(code)}: ${JSON.stringify(errors['x-enum-descriptions']?.[i] ?? '')},\n`;
  });
  text += '} as const;\n\n';
  text += comment("The protocol's fixed limits (the documents' `x-msgr-limits`).");
  text += 'export const Limits = {\n';
  for (const [name, { value, description }] of Object.entries(limits)) {
    text += comment(description, '  ');
    text += `  ${name}: ${value},\n`;
  }
  text += '} as const;\n';
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await fs.writeFile(GENERATED, await generateTypes());
  await fs.writeFile(GENERATED_CONSTANTS, await generateConstants());
  console.log(`wrote ${GENERATED.pathname} and ${GENERATED_CONSTANTS.pathname}`);
}
