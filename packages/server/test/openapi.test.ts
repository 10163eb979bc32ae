import { expect } from 'chai';
import fs from 'node:fs/promises';
import {
  buildAsyncApiDocument,
  buildOpenApiDocument,
  COMMITTED_ASYNCAPI_PATH,
  COMMITTED_OPENAPI_PATH,
  serializeOpenApiDocument,
} from '../src/api-documents.js';
import { startCluster, type Cluster } from './support/harness.js';

describe('OpenAPI document', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when the server schemas change then the committed openapi/openapi.json must be regenerated', async () => {
    const committed: unknown = JSON.parse(await fs.readFile(COMMITTED_OPENAPI_PATH, 'utf8'));
    // Compared as data: the file is prettier-formatted after generation.
    expect(committed, 'openapi/openapi.json is stale: run `npm run openapi`').to.deep.equal(
      JSON.parse(serializeOpenApiDocument(buildOpenApiDocument())),
    );
  });

  it('when the socket frames change then the committed openapi/asyncapi.json must be regenerated', async () => {
    const committed: unknown = JSON.parse(await fs.readFile(COMMITTED_ASYNCAPI_PATH, 'utf8'));
    expect(committed, 'openapi/asyncapi.json is stale: run `npm run openapi`').to.deep.equal(
      JSON.parse(serializeOpenApiDocument(buildAsyncApiDocument())),
    );
  });

  it('serves the socket protocol at /asyncapi.json: every frame a message of both channels', async () => {
    const { body } = await c.api.get('/asyncapi.json');
    expect(body.asyncapi).to.equal('3.0.0');
    expect(Object.keys(body.channels)).to.deep.equal(['all', 'chat']);
    expect(Object.keys(body.components.messages)).to.include.members([
      'Message',
      'Subscribed',
      'Read',
      'Typing',
      'Resync',
      'MembersChanged',
      'ChatUpdated',
      'MessageEdited',
      'MessageDeleted',
      'Reaction',
      'Ping',
      'TypingRequest',
    ]);
  });

  it('serves the same document at /openapi.json', async () => {
    const res = await c.api.get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal(JSON.parse(await fs.readFile(COMMITTED_OPENAPI_PATH, 'utf8')));
    expect(res.body.openapi).to.equal('3.1.0');
  });

  it('documents every path of the contract, and the password flow on /login', async () => {
    const { body } = await c.api.get('/openapi.json');
    expect(Object.keys(body.paths)).to.include.members([
      '/login',
      '/token/refresh',
      '/logout',
      '/register',
      '/me',
      '/users',
      '/chats',
      '/groups/{group_id}',
      '/group',
      '/messages/user/{user_id}',
      '/messages/group/{group_id}',
      '/messages/read/{message_id}',
      '/history/{chat_id}',
      '/healthz',
      '/readyz',
    ]);
    expect(body.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl).to.equal(
      '/login',
    );
    expect(body.paths['/login'].post.requestBody.content).to.have.keys(
      'application/x-www-form-urlencoded',
      'application/json',
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${c.servers[0]!.url}/docs/`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('swagger-ui');
  });
});
