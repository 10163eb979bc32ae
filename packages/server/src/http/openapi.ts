import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ClientFrame, MAX_POSITION_IDS, ServerFrame } from '../realtime/protocol.js';
import { allRoutes } from '../routes/index.js';
import { registerRoutes } from './route.js';
import { IdParam, intParam, Problem } from './schemas.js';

export const OPENAPI_VERSION = '1.1.0';

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
  registerSockets(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'msgr',
      version: OPENAPI_VERSION,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'A self-hosted messenger: direct chats and groups, read receipts, keyset history and ' +
        'exactly-once message creation across server instances. Errors are ' +
        '`application/problem+json` with a stable `code`. Every path also answers with a ' +
        'trailing slash.',
    },
    servers: [{ url: '/', description: 'This server (every instance serves the same API).' }],
    tags: [
      { name: 'auth', description: 'Accounts, logins and tokens.' },
      { name: 'users', description: 'Finding people.' },
      { name: 'chats', description: 'Your chats, and groups with their members.' },
      { name: 'messages', description: 'Sending, reading, history, changes and search.' },
      { name: 'realtime', description: 'WebSockets: live events and exact resume.' },
      { name: 'health', description: 'Probes for load balancers and orchestrators.' },
    ],
  });
}

const SOCKET_DESCRIPTION =
  'A WebSocket (answer 101). Authenticate with `Authorization: Bearer <token>` or, from a ' +
  'browser, the subprotocols `bearer, <token>`. The server sends `ServerFrame`s and accepts ' +
  '`ClientFrame`s (JSON text; components of this document). Close codes: 1001 shutting down, ' +
  '1008 too many frames, 1009 frame over 64 KiB, 1012 stream restarted (resume), 1013 too far ' +
  'behind (resume), 4401 token expired, 4403 no longer a member, 4429 too many sockets.';

/** The socket routes, documented beside the REST ones (ws serves them, not Express). */
function registerSockets(registry: OpenAPIRegistry): void {
  registry.register('ServerFrame', ServerFrame);
  registry.register('ClientFrame', ClientFrame);
  const refused = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: Problem } },
  });
  const responses = {
    101: { description: 'Switching Protocols: the socket is open.' },
    401: refused('Missing, malformed, expired or forged access token.'),
    422: refused('An invalid `after` or `position`.'),
  };
  const after = intParam(0, Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: 'Replay the messages with a greater id first, then go live.' });
  registry.registerPath({
    method: 'get',
    path: '/ws',
    operationId: 'openSocket',
    tags: ['realtime'],
    summary: 'Live events of all your chats (new ones included)',
    description:
      `${SOCKET_DESCRIPTION} Resume exactly with \`position\`: the highest \`mark\` received ` +
      '(on `Message` and `Subscribed` frames) and the ids above it received, dot-separated ' +
      `(\`41\` or \`41.43.44\`, at most ${MAX_POSITION_IDS} ids): every message of your chats ` +
      'above the mark that is not listed is replayed in id order, then the socket goes live.',
    security: [{ OAuth2PasswordBearer: [] }, { BearerAuth: [] }],
    request: {
      query: z.object({
        after,
        position: z
          .string()
          .optional()
          .meta({ description: '`<mark>` or `<mark>.<id>.<id>…`; not with `after`.' }),
      }),
    },
    responses,
  });
  registry.registerPath({
    method: 'get',
    path: '/ws/{chat_id}',
    operationId: 'openChatSocket',
    tags: ['realtime'],
    summary: 'Live events of one chat',
    description: `${SOCKET_DESCRIPTION} Ids inside a chat follow commit order: resume with \`after\` = the last message id received.`,
    security: [{ OAuth2PasswordBearer: [] }, { BearerAuth: [] }],
    request: { params: z.object({ chat_id: IdParam }), query: z.object({ after }) },
    responses: {
      ...responses,
      403: refused('`chat_forbidden`: not a member.'),
      404: refused('`chat_not_found`.'),
    },
  });
}

/** The committed file's exact text: two-space JSON with a final newline. */
export function serializeOpenApiDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Where the committed copy lives, relative to this file. */
export const COMMITTED_OPENAPI_PATH = new URL('../../../../openapi/openapi.json', import.meta.url);
