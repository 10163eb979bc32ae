import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { startCluster, type Cluster } from './support/harness.js';
import { expectProblem } from './support/problem.js';

const TEST_SECRET = 'test-secret-that-is-long-enough';

function unique(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}

function form(fields: Record<string, string>) {
  return {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('POST /login', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when the JSON credentials are right then a bearer token pair', async () => {
    const res = await c.api.post('/login', { email: 'test1@test.com', password: 'test' });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.all.keys('access_token', 'token_type', 'expires_in', 'refresh_token');
    expect(res.body.token_type).to.equal('bearer');
    expect(res.body.access_token).to.be.a('string').that.is.not.empty;
    expect(res.body.refresh_token).to.be.a('string').that.is.not.empty;
    expect(res.body.expires_in).to.be.a('number').that.is.above(0);
    const me = await c.api.get('/me', res.body.access_token);
    expect(me.body).to.include({ email: 'test1@test.com' });
  });

  it('when the OAuth2 password form is sent then the same pair, keeping client_id', async () => {
    const res = await c.api.request(
      'POST',
      '/login',
      form({
        username: 'test2@test.com',
        password: 'test',
        client_id: 'form-device',
        grant_type: 'password',
      }),
    );
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.have.all.keys('access_token', 'token_type', 'expires_in', 'refresh_token');
    expect(res.body.token_type).to.equal('bearer');
    const claims = jwt.decode(res.body.access_token) as jwt.JwtPayload;
    expect(claims.client_id).to.equal('form-device');
    expect((await c.api.get('/me', res.body.access_token)).body).to.include({
      email: 'test2@test.com',
    });
  });

  it('when the email is unknown then 401 like a wrong password', async () => {
    const wrong = await c.api.post('/login', { email: 'test1@test.com', password: 'nope' });
    const unknown = await c.api.post('/login', { email: unique('ghost'), password: 'nope' });
    expectProblem(wrong, 401);
    expectProblem(unknown, 401);
    expect(unknown.body.code).to.equal(wrong.body.code);
    expect(unknown.body.detail).to.equal(wrong.body.detail);
  });

  it('when the form password is wrong then 401', async () => {
    const res = await c.api.request(
      'POST',
      '/login',
      form({ username: 'test1@test.com', password: 'nope', grant_type: 'password' }),
    );
    expectProblem(res, 401);
  });

  it('when fields are missing then 422', async () => {
    expectProblem(await c.api.post('/login', { email: 'test1@test.com' }), 422);
    expectProblem(await c.api.post('/login', { password: 'test' }), 422);
    expectProblem(await c.api.post('/login', {}), 422);
    expectProblem(await c.api.request('POST', '/login', form({ username: 'test1@test.com' })), 422);
  });

  // PostgreSQL refuses NUL in text: an unchecked email used to reach it and answer 500.
  it('when the email holds a NUL character then a 401 or 422 problem, never 500', async () => {
    const json = await c.api.post('/login', { email: 'test1@test.com\u0000', password: 'test' });
    const viaForm = await c.api.request(
      'POST',
      '/login',
      form({ username: 'test1@test.com\u0000', password: 'test' }),
    );
    for (const res of [json, viaForm]) {
      expect([401, 422], JSON.stringify(res.body)).to.include(res.status);
      expectProblem(res, res.status);
    }
  });

  // A client id from HTTP Basic must pass the client_id rules too (NUL used to answer 500).
  it('when the HTTP Basic client id holds a NUL character then not 500', async () => {
    const res = await c.api.request('POST', '/login', {
      body: { email: 'test1@test.com', password: 'test' },
      headers: { authorization: `Basic ${Buffer.from('dev\u0000ice:').toString('base64')}` },
    });
    expect(res.status, JSON.stringify(res.body)).to.be.below(500);
  });

  it('when Swagger UI sends the client id as HTTP Basic then the tokens carry it', async () => {
    const res = await c.api.request('POST', '/login', {
      ...form({ username: 'test1@test.com', password: 'test', grant_type: 'password' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('swagger:').toString('base64')}`,
      },
    });
    expect(res.status).to.equal(200);
    expect((jwt.decode(res.body.access_token) as jwt.JwtPayload).client_id).to.equal('swagger');
  });

  it('when the grant type is not password then 422', async () => {
    const res = await c.api.request(
      'POST',
      '/login',
      form({ username: 'test1@test.com', password: 'test', grant_type: 'client_credentials' }),
    );
    expectProblem(res, 422);
  });
});

describe('POST /token/refresh and /logout', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when a refresh token is spent then a working pair on the same device', async () => {
    const s = await c.api.login('test1@test.com', 'test', 'phone');
    const res = await c.api.post('/token/refresh', { refresh_token: s.refreshToken });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.all.keys('access_token', 'token_type', 'expires_in', 'refresh_token');
    expect(res.body.refresh_token).not.to.equal(s.refreshToken);
    expect((jwt.decode(res.body.access_token) as jwt.JwtPayload).client_id).to.equal('phone');
    expect((await c.api.get('/me', res.body.access_token)).body.id).to.equal(s.userId);
    const again = await c.api.post('/token/refresh', { refresh_token: res.body.refresh_token });
    expect(again.status).to.equal(200);
  });

  it('when the refresh token is garbage then 401', async () => {
    expectProblem(
      await c.api.post('/token/refresh', { refresh_token: 'not-a-token' }),
      401,
      'invalid_refresh_token',
    );
  });

  it('when the refresh token is missing then 422', async () => {
    expectProblem(await c.api.post('/token/refresh', {}), 422, 'validation_failed');
  });

  it("when a device logs out then its refresh token is refused and another device's works", async () => {
    const u = await c.api.newUser('logout');
    const laptop = await c.api.login(u.email, 'password123', 'laptop');
    const phone = await c.api.login(u.email, 'password123', 'phone');
    const res = await c.api.post('/logout', undefined, laptop.token);
    expect(res.status).to.equal(204);
    expect(res.body).to.equal(undefined);
    expectProblem(
      await c.api.post('/token/refresh', { refresh_token: laptop.refreshToken }),
      401,
      'invalid_refresh_token',
    );
    expect(
      (await c.api.post('/token/refresh', { refresh_token: phone.refreshToken })).status,
    ).to.equal(200);
  });

  it('when logging out without a token then 401', async () => {
    expectProblem(await c.api.post('/logout'), 401);
  });
});

describe('POST /register', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when the input is valid then 201 with the user, who can log in', async () => {
    const email = unique('reg');
    const res = await c.api.post('/register', { email, name: 'Reg User', password: 'password1' });
    expect(res.status).to.equal(201);
    expect(res.body).to.have.all.keys('id', 'email', 'name', 'is_bot');
    expect(res.body).to.include({ email, name: 'Reg User' });
    expect(res.body.id).to.be.a('number').that.is.above(0);
    const s = await c.api.login(email, 'password1');
    expect(s.userId).to.equal(res.body.id);
  });

  it('when the email is taken in another case then 409 email_taken', async () => {
    const email = unique('dup');
    const first = await c.api.post('/register', { email, name: 'One', password: 'password1' });
    expect(first.status).to.equal(201);
    const second = await c.api.post('/register', {
      email: email.toUpperCase(),
      name: 'Two',
      password: 'password2',
    });
    expectProblem(second, 409, 'email_taken');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    [
      'the email is malformed',
      { email: 'not-an-email', name: 'X', password: 'password1' },
      'email',
    ],
    [
      'the password is short',
      { email: unique('short'), name: 'X', password: 'seven77' },
      'password',
    ],
    ['the name is blank', { email: unique('blank'), name: '   ', password: 'password1' }, 'name'],
    ['a field is missing', { email: unique('missing'), password: 'password1' }, 'name'],
  ];
  for (const [when, body, field] of invalid) {
    it(`when ${when} then 422 validation_failed naming the field`, async () => {
      const res = await c.api.post('/register', body);
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).to.be.an('array').that.is.not.empty;
      for (const e of res.body.errors) expect(e).to.include.keys('path', 'message');
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).to.contain(field);
    });
  }
});

describe('bearer authentication on /me', () => {
  let c: Cluster;
  let userId: number;
  before(async () => {
    c = await startCluster();
    userId = (await c.api.login('test1@test.com')).userId;
  });
  after(() => c.close());

  async function expectRefused(headers: Record<string, string>): Promise<void> {
    const res = await c.api.request('GET', '/me', { headers });
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/i);
  }

  it('when a token signed with the test secret is valid then /me answers (control)', async () => {
    const token = jwt.sign({ client_id: 'x' }, TEST_SECRET, {
      subject: String(userId),
      expiresIn: 60,
    });
    const res = await c.api.get('/me', token);
    expect(res.status).to.equal(200);
    expect(res.body).to.have.all.keys('id', 'email', 'name', 'is_bot');
    expect(res.body.id).to.equal(userId);
  });

  it('when the scheme is written in lower case then the token is accepted', async () => {
    const s = await c.api.login('test1@test.com');
    const res = await c.api.request('GET', '/me', {
      headers: { authorization: `bearer ${s.token}` },
    });
    expect(res.status).to.equal(200);
  });

  it('when the header is missing then 401', async () => {
    await expectRefused({});
  });

  it('when the header is malformed then 401', async () => {
    await expectRefused({ authorization: 'Token abc' });
    await expectRefused({ authorization: 'Bearer' });
    await expectRefused({ authorization: 'Bearer a b' });
    await expectRefused({ authorization: 'Basic dXNlcjpwYXNz' });
  });

  it('when the token is garbage then 401', async () => {
    await expectRefused({ authorization: 'Bearer garbage' });
    await expectRefused({ authorization: 'Bearer a.b.c' });
  });

  it('when the token is signed with another secret then 401', async () => {
    const token = jwt.sign({ client_id: 'x' }, 'other-secret', { subject: '1' });
    await expectRefused({ authorization: `Bearer ${token}` });
  });

  it('when the token uses another algorithm with the right secret then 401', async () => {
    const token = jwt.sign({ client_id: 'x' }, TEST_SECRET, {
      subject: String(userId),
      algorithm: 'HS512',
    });
    await expectRefused({ authorization: `Bearer ${token}` });
  });

  it('when the token has alg none then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = [
      b64url({ alg: 'none', typ: 'JWT' }),
      b64url({ sub: String(userId), client_id: 'x', iat: now, exp: now + 600 }),
      '',
    ].join('.');
    await expectRefused({ authorization: `Bearer ${token}` });
  });

  it('when the token has expired then 401', async () => {
    const token = jwt.sign({ client_id: 'x' }, TEST_SECRET, {
      subject: String(userId),
      expiresIn: -10,
    });
    await expectRefused({ authorization: `Bearer ${token}` });
  });

  it('when the token lacks client_id or a numeric subject then 401', async () => {
    const noClient = jwt.sign({}, TEST_SECRET, { subject: String(userId) });
    const badSubject = jwt.sign({ client_id: 'x' }, TEST_SECRET, { subject: 'abc' });
    await expectRefused({ authorization: `Bearer ${noClient}` });
    await expectRefused({ authorization: `Bearer ${badSubject}` });
  });

  it('when a correctly signed token has no exp then 401 (it would never expire)', async () => {
    const forever = jwt.sign({ client_id: 'x' }, TEST_SECRET, { subject: String(userId) });
    await expectRefused({ authorization: `Bearer ${forever}` });
  });

  it('when the token is huge or full of odd bytes then 401, never 5xx', async () => {
    await expectRefused({ authorization: `Bearer ${'a'.repeat(12_000)}` });
    await expectRefused({ authorization: `Bearer ${'eyJ'.repeat(3000)}.${'x'.repeat(3000)}.y` });
    await expectRefused({ authorization: 'Bearer \u00ff\u00fe.\u00ff.\u00ff' });
  });
});
