import { z } from 'zod';
import * as accounts from '../domain/accounts.js';
import { addressKey } from '../domain/limits.js';
import { route } from '../http/route.js';
import { HttpError } from '../http/problem.js';
import {
  ClientId,
  LoginForm,
  LoginJson,
  RefreshRequest,
  RegisterRequest,
  TokenPair,
  User,
} from '../contract/schemas.js';

/** Swagger UI may send the client id as HTTP Basic credentials (OAuth2 client authentication). */
function basicClientId(header: string | undefined): string | undefined {
  const match = header ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (!match) return undefined;
  const [clientId] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
  if (!clientId) return undefined;
  if (!ClientId.safeParse(clientId).success) {
    throw new HttpError(422, 'validation_failed', 'the client id in Authorization is not valid');
  }
  return clientId;
}

export const authRoutes = [
  route({
    method: 'post',
    path: '/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Log in with email and password',
    description:
      'OAuth2 password grant: a form with `username` (the email), `password` and optional ' +
      '`client_id` (the device), or the same as JSON with `email`. Unknown email and wrong ' +
      'password answer the same 401.',
    isPublic: true,
    isIpLimited: true,
    acceptsForm: true,
    body: z.union([LoginJson, LoginForm]),
    responses: { 200: { description: 'Tokens for this device.', schema: TokenPair } },
    errors: {
      401: 'Wrong email or password.',
      429:
        '`rate_limited`: LOGIN_MAX_FAILURES failures for this account from this address, or ' +
        'too many requests from it (`Retry-After`).',
      503: 'Too many logins at once: try again after `Retry-After`.',
    },
    handler: async ({ body, req, services }) => ({
      status: 200,
      body: await accounts.login(services, {
        email: 'email' in body ? body.email : body.username,
        password: body.password,
        clientId: body.client_id ?? basicClientId(req.get('authorization')),
        address: addressKey(req.ip),
      }),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
  route({
    method: 'post',
    path: '/token/refresh',
    operationId: 'refreshTokens',
    tag: 'auth',
    summary: 'Trade a refresh token for a new token pair',
    description:
      'Rotation: the presented refresh token stops working. The device is kept. The same ' +
      'token again within REFRESH_REUSE_GRACE_SECONDS (default 10) of its first use is a ' +
      'retry and gets a working pair too; later, it is taken as stolen and every token of ' +
      'its login is revoked (401 `refresh_token_reused`). No refresh outlives the login by ' +
      'more than REFRESH_TOKEN_TTL_SECONDS.',
    isPublic: true,
    isIpLimited: true,
    body: RefreshRequest,
    responses: { 200: { description: 'A new pair.', schema: TokenPair } },
    errors: {
      401: '`invalid_refresh_token` (unknown, expired, revoked) or `refresh_token_reused`.',
    },
    handler: async ({ body, services }) => ({
      status: 200,
      body: await accounts.refresh(services, body.refresh_token),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
  route({
    method: 'post',
    path: '/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: "Revoke the calling device's refresh tokens",
    description: 'Access tokens already issued stay valid until they expire.',
    responses: { 204: { description: 'Logged out.' } },
    handler: async ({ user, services }) => {
      await accounts.logout(services, user);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create an account',
    description: 'Emails are unique regardless of case; passwords hold 8..72 bytes.',
    isPublic: true,
    isIpLimited: true,
    body: RegisterRequest,
    responses: { 201: { description: 'The new user.', schema: User } },
    errors: {
      409: 'An account with this email exists.',
      503: 'Too many registrations at once: try again after `Retry-After`.',
    },
    handler: async ({ body, services }) => ({
      status: 201,
      body: await accounts.register(services, body),
    }),
  }),
];
