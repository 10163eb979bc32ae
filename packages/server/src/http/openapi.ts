import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { allRoutes } from '../routes/index.js';
import { registerRoutes } from './route.js';

export const OPENAPI_VERSION = '1.0.0';

/** The OpenAPI 3.1 document of every REST route, built from the routes' own zod schemas. */
export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'OAuth2PasswordBearer', {
    type: 'oauth2',
    description:
      'Swagger UI: Authorize with your email as `username`. Any OAuth2 client id becomes the ' +
      'device (`client_id`).',
    flows: { password: { tokenUrl: '/login', scopes: {} } },
  });
  registry.registerComponent('securitySchemes', 'BearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  registerRoutes(registry, allRoutes);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'msgr',
      version: OPENAPI_VERSION,
      description:
        'A self-hosted messenger: direct chats and groups, read receipts, keyset history and ' +
        'exactly-once message creation across server instances. Errors are ' +
        '`application/problem+json` with a stable `code`. Every path also answers with a ' +
        'trailing slash.',
    },
    tags: [
      { name: 'auth' },
      { name: 'users' },
      { name: 'chats' },
      { name: 'messages' },
      { name: 'health' },
    ],
  });
}

/** The committed file's exact text: two-space JSON with a final newline. */
export function serializeOpenApiDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Where the committed copy lives, relative to this file. */
export const COMMITTED_OPENAPI_PATH = new URL('../../../../openapi/openapi.json', import.meta.url);
