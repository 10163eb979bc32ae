import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { ClientFrame, CLOSE_CODES, ServerFrame } from './contract/frames.js';
import { Limits, LIMIT_DESCRIPTIONS } from './contract/limits.js';
import { POSITION_FORMAT } from './contract/position.js';
import { allRoutes } from './routes/index.js';
import { registerRoutes } from './http/route.js';
import { registerUploadDocs } from './routes/uploads.js';

export const OPENAPI_VERSION = '1.2.0';

/**
 * The protocol's fixed limits, as a document extension (`x-msgr-limits`): each its value and
 * what it limits. The SDK's `Limits` is generated from it.
 */
function limitsExtension(): Record<string, { value: number; description: string }> {
  return Object.fromEntries(
    Object.entries(Limits).map(([name, value]) => [
      name,
      { value, description: LIMIT_DESCRIPTIONS[name as keyof typeof Limits] },
    ]),
  );
}

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
  registerUploadDocs(registry);
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
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
      { name: 'threads', description: 'Threads: their roots, following and reading them.' },
      {
        name: 'sync',
        description: 'Catching up on every change without a socket (scripts, bots, cron jobs).',
      },
      {
        name: 'files',
        description:
          'Files and attachments: one-request and resumable (tus) uploads, downloads with ranges, thumbnails.',
      },
      {
        name: 'integrations',
        description:
          'API tokens, bots, incoming webhooks (post with a URL) and outgoing webhooks (the log, delivered).',
      },
      { name: 'health', description: 'Probes for load balancers and orchestrators.' },
    ],
  });
  return { ...document, 'x-msgr-limits': limitsExtension() };
}

const SOCKET_DESCRIPTION =
  'Authenticate on the upgrade with `Authorization: Bearer <token>` or, from a browser, the ' +
  'subprotocols `bearer, <token>` (the server then selects `bearer`). A refused upgrade is an ' +
  'HTTP problem answer (401, 403, 404, 422, 429). Frames are JSON text; over ' +
  `${Limits.maxFrameBytes / 1024} KiB closes the socket. Close codes: ` +
  Object.values(CLOSE_CODES)
    .map(([code, what]) => `${code} ${what.replace(/[.:].*$/, '').toLowerCase()}`)
    .join(', ') +
  ' (the `CloseCode` schema says what each asks of you).';

const RESUME_DESCRIPTION =
  'Every logged frame (Message, MessageEdited, MessageDeleted, Reaction, MembersChanged, ' +
  'ChatUpdated, Read, ReadMarker, NotificationsChanged) carries its `seq`, its place in the ' +
  'one log of every change, and the `mark` the instance had heard. Your position is your ' +
  'highest `mark` and ' +
  `the seqs above it you received: ${POSITION_FORMAT}. Reconnect to any instance with ` +
  '`?position=` and every logged event you should have got after it is replayed exactly once, ' +
  'in log order (also those that were still committing when you got the position), then the ' +
  'socket goes live with no gap and no duplicate at the seam; `Subscribed` says where you are ' +
  'then. `GET /sync` takes and answers the same positions. A position older than the log ' +
  'keeps gets `PositionExpired` (reload, then go on); one never handed out is refused with ' +
  '422 `position_invalid`. `?after=<message id>` replays messages only, as in v1.';

type Schemas = Record<string, { description?: string; oneOf?: { $ref: string }[] }>;

/** The frames' schemas as components, with the same names and $refs as the REST ones. */
function frameSchemas(): Schemas {
  const registry = new OpenAPIRegistry();
  registry.register('ServerFrame', ServerFrame);
  registry.register('ClientFrame', ClientFrame);
  const { components } = new OpenApiGeneratorV31(registry.definitions).generateComponents();
  return { ...(components?.schemas ?? {}), CloseCode: closeCodeSchema() };
}

/** The close codes as a schema: an enum with a name and a description per code. */
function closeCodeSchema(): object {
  const entries = Object.entries(CLOSE_CODES);
  return {
    type: 'integer',
    enum: entries.map(([, [code]]) => code),
    'x-enum-varnames': entries.map(([name]) => name),
    'x-enum-descriptions': entries.map(([, [, what]]) => what),
    description:
      'The codes the server closes a socket with:\n\n' +
      entries.map(([name, [code, what]]) => `- ${code} (${name}): ${what}`).join('\n'),
  };
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
      summary: 'Events the server sends: every logged change, typing, marks.',
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
    'x-msgr-limits': limitsExtension(),
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
          'Every chat of yours, chats created later included: the events of each chat while ' +
          'you are a member of it. A fresh socket starts with `Subscribed`. ' +
          RESUME_DESCRIPTION,
        messages: channelMessages,
      },
      chat: {
        address: '/ws/{chat_id}',
        title: 'One chat',
        description:
          'One chat of yours. Seqs inside a chat follow commit order. ' + RESUME_DESCRIPTION,
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
export const COMMITTED_OPENAPI_PATH = new URL('../../../openapi/openapi.json', import.meta.url);
export const COMMITTED_ASYNCAPI_PATH = new URL('../../../openapi/asyncapi.json', import.meta.url);
