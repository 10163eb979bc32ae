import { expect } from 'chai';
import { startCluster, type Cluster } from './support/harness.js';

describe('CORS', () => {
  let open: Cluster;
  let narrow: Cluster;
  before(async () => {
    [open, narrow] = await Promise.all([
      startCluster(),
      startCluster({ corsOrigins: ['https://app.example'] }),
    ]);
  });
  after(() => Promise.all([open.close(), narrow.close()]));

  it('when a browser preflights a send then 204 allows POST with Authorization and JSON', async () => {
    const res = await open.api.request('OPTIONS', '/messages/user/2', {
      headers: {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).to.equal(204);
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.headers.get('access-control-allow-methods')).to.contain('POST');
    expect(res.headers.get('access-control-allow-headers')).to.match(/authorization/i);
  });

  it('when a browser sends then it may read Idempotent-Replayed', async () => {
    const session = await open.api.login('test1@test.com');
    const res = await open.api.request('POST', '/messages/user/2', {
      body: { text: 'hi', operation_id: 1 },
      token: session.token,
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('access-control-expose-headers')).to.contain('Idempotent-Replayed');
  });

  it('when CORS_ORIGINS lists origins then only those get CORS headers', async () => {
    const allowed = await narrow.api.request('GET', '/healthz', {
      headers: { origin: 'https://app.example' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).to.equal('https://app.example');
    expect(allowed.headers.get('vary')).to.match(/origin/i);
    const other = await narrow.api.request('GET', '/healthz', {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);
  });
});
