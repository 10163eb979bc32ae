import { expect } from 'chai';
import { startCluster, type Cluster } from './support/harness.js';

describe('smoke', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when a demo user logs in then /me answers', async () => {
    const s = await c.api.login('test1@test.com');
    expect((await c.api.get('/me', s.token)).body).to.include({ email: 'test1@test.com' });
  });
});
