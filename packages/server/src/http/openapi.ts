import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { ClientFrame, MAX_POSITION_IDS, ServerFrame } from '../realtime/protocol.js';
import { allRoutes } from '../routes/index.js';
import { registerRoutes } from './route.js';

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
        'trailing slash. Live events (WebSockets `/ws` and `/ws/{chat_id}`) are described ' +
        'in the AsyncAPI document at `/asyncapi.json`.',
    },
    servers: [{ url: '/', description: 'This server (every instance serves the same API).' }],
    tags: [
      { name: 'auth', description: 'Accounts, logins and tokens.' },
      { name: 'users', description: 'Finding people.' },
      { name: 'chats', description: 'Your chats, and groups with their members.' },
      { name: 'messages', description: 'Sending, reading, history, changes and search.' },
      { name: 'health', description: 'Probes for load balancers and orchestrators.' },
    ],
  });
}

const SOCKET_DESCRIPTION =
  'Authenticate on the upgrade with `Authorization: Bearer <token>` or, from a browser, the ' +
  'subprotocols `bearer, <token>` (the server then selects `bearer`). A refused upgrade is an ' +
  'HTTP problem answer (401, 403, 404, 422, 429). Frames are JSON text; over 64 KiB closes the ' +
  'socket. Close codes: 1001 shutting down, 1008 too many frames, 1009 frame too big, 1012 ' +
  'stream restarted (resume), 1013 too far behind (resume), 4401 token expired, 4403 no ' +
  'longer a member, 4429 too many sockets.';

type Schemas = Record<string, { description?: string; oneOf?: { $ref: string }[] }>;

/** The frames' schemas as components, with the same names and $refs as the REST ones. */
function frameSchemas(): Schemas {
  const registry = new OpenAPIRegistry();
  registry.register('ServerFrame', ServerFrame);
  registry.register('ClientFrame', ClientFrame);
  const { components } = new OpenApiGeneratorV31(registry.definitions).generateComponents();
  return (components?.schemas ?? {}) as Schemas;
}

/**
 * The AsyncAPI 3 document of the WebSocket protocol, built from the frames' zod schemas (the
 * one description of each frame); the SDK's event types are generated from it.
 */
export function buildAsyncApiDocument(): object {
  const schemas = frameSchemas();
  const variants = (union: string) =>
    (schemas[union]?.oneOf ?? []).map((r) => r.$ref.replace('#/components/schemas/', ''));
  const messageName = (schema: string) => schema.replace(/Frame$/, '');
  const messages: Record<string, object> = {};
  for (const schema of [...variants('ServerFrame'), ...variants('ClientFrame')]) {
    messages[messageName(schema)] = {
      name: messageName(schema),
      title: messageName(schema),
      summary: schemas[schema]?.description ?? schema,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${schema}` },
    };
  }
  const refs = (union: string) =>
    Object.fromEntries(
      variants(union).map((schema) => [
        messageName(schema),
        { $ref: `#/components/messages/${messageName(schema)}` },
      ]),
    );
  const channelMessages = { ...refs('ServerFrame'), ...refs('ClientFrame') };
  const ofChannel = (channel: string, union: string) =>
    variants(union).map((schema) => ({
      $ref: `#/channels/${channel}/messages/${messageName(schema)}`,
    }));
  const security = [{ $ref: '#/components/securitySchemes/bearer' }];
  const operations: Record<string, object> = {};
  for (const channel of ['all', 'chat']) {
    operations[`${channel}Events`] = {
      action: 'send',
      channel: { $ref: `#/channels/${channel}` },
      summary: 'Events the server sends: messages, reads, typing, changes, marks.',
      security,
      messages: ofChannel(channel, 'ServerFrame'),
    };
    operations[`${channel}Requests`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channel}` },
      summary: 'Frames a client may send: Ping, Typing.',
      security,
      messages: ofChannel(channel, 'ClientFrame'),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'msgr realtime',
      version: OPENAPI_VERSION,
      description:
        'The WebSocket protocol of msgr: live events of your chats across every instance, ' +
        'and exact resume. The REST API is described in openapi.json. ' +
        SOCKET_DESCRIPTION,
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:8000',
        protocol: 'ws',
        description: 'A server started with `npm start` (every instance serves the same protocol).',
        security,
      },
    },
    channels: {
      all: {
        address: '/ws',
        title: 'All your chats',
        description:
          'Every chat of yours, chats created later included. Resume exactly with ' +
          '`?position=`: the highest `mark` received (on `Message` and `Subscribed` frames) ' +
          `and the ids above it received, dot-separated (\`41\` or \`41.43.44\`, at most ${MAX_POSITION_IDS} ` +
          'ids): every message of your chats above the mark that is not listed is replayed in ' +
          'id order, then the socket goes live. `?after=<id>` replays the ids above one id.',
        messages: channelMessages,
      },
      chat: {
        address: '/ws/{chat_id}',
        title: 'One chat',
        description:
          'One chat of yours. Ids inside a chat follow commit order: resume with ' +
          '`?after=<the last message id received>`.',
        parameters: { chat_id: { description: 'The chat, one of yours.' } },
        messages: channelMessages,
      },
    },
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The access token of /login, as `Authorization: Bearer` or as the subprotocols ' +
            '`bearer, <token>`.',
        },
      },
    },
  };
}

/** The committed file's exact text: two-space JSON with a final newline. */
export function serializeOpenApiDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Where the committed copies live, relative to this file. */
export const COMMITTED_OPENAPI_PATH = new URL('../../../../openapi/openapi.json', import.meta.url);
export const COMMITTED_ASYNCAPI_PATH = new URL(
  '../../../../openapi/asyncapi.json',
  import.meta.url,
);
