/** Answers, token stores and assertions shared by the nock-driven SDK tests. */
import net from 'node:net';
import { expect } from 'chai';
import {
  MemoryTokenStore,
  MessengerError,
  type Message,
  type StoredTokens,
  type TokenStore,
} from '../../src/index.js';

export const USER = { id: 1, email: 'test1@test.com', name: 'One' };
export const GROUP = { group_id: 7, chat_id: 9, name: 'team', creator_id: 1, member_ids: [1, 2] };
export const PROBLEM_JSON = { 'content-type': 'application/problem+json' };

/** An RFC 9457 body as the server writes it. */
export function problem(status: number, code: string, detail = `${code} happened`) {
  return { type: 'about:blank', title: code, status, detail, code };
}

export function message(id: number, text = 'hi'): Message {
  const timestamp = new Date(0).toISOString();
  return {
    id,
    chat_id: 3,
    sender_id: 1,
    text,
    timestamp,
    is_read: false,
    edited_at: null,
    deleted: false,
    reply_to: null,
    reactions: [],
    attachments: [],
    mentions: [],
    mention_all: false,
    thread_id: null,
    thread: null,
  };
}

/** A `/login` or `/token/refresh` answer. */
export function pair(access: string, refresh: string) {
  return { access_token: access, refresh_token: refresh, token_type: 'bearer', expires_in: 900 };
}

/** A store holding `access-1`/`refresh-1`, valid for an hour unless `tokens` says otherwise. */
export function loggedIn(tokens: Partial<StoredTokens> = {}): MemoryTokenStore {
  const store = new MemoryTokenStore();
  const expiresAt = Date.now() + 3_600_000;
  store.set({ accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt, ...tokens });
  return store;
}

/** A token store whose reads take a few ms, like one backed by a file (the CLI's). */
export function slowStore(inner: TokenStore): TokenStore {
  return {
    get: async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return inner.get();
    },
    set: (tokens) => inner.set(tokens),
  };
}

/** The MessengerError `promise` rejects with (fails the test when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<MessengerError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(MessengerError);
    return err as MessengerError;
  }
  return expect.fail('expected a MessengerError');
}

/** A nock body matcher that records each request body (and matches any body). */
export function recorder(bodies: unknown[]) {
  return (body: unknown) => {
    bodies.push(body);
    return true;
  };
}

/** A port on which nothing listens: connecting to it is refused. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
