import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthorizedError } from '../domain/errors.js';

/** What an API token may do: `read` (GET, sockets, /sync) and `write` (every change). */
export type Scope = 'read' | 'write';

/** Who is calling: the token's user and device. */
export interface AuthUser {
  readonly userId: number;
  readonly clientId: string;
  /** When the access token stops being valid (epoch ms), for long-lived sockets. */
  readonly expiresAt?: number;
  /** An API token's id (its device is `token:<id>`); absent for a login session. */
  readonly tokenId?: number;
  /** An API token's scopes; absent for a login session, which may do everything. */
  readonly scopes?: readonly Scope[];
}

/** Tokens remembered as verified (then the memory starts over). */
const VERIFIED_MAX = 10_000;

/** Access tokens are HS256 JWTs carrying `sub` (the user id) and `client_id`. */
export class AccessTokens {
  /**
   * Tokens this instance verified, by their exact text, until they expire: a client sends the
   * same token with every request for its lifetime, so most requests skip the HMAC, the base64
   * and the JSON of jsonwebtoken (about 5 % of a send's CPU in the benchmark's profile). An
   * access token cannot be revoked before it expires, so a remembered one answers the same.
   */
  private readonly verified = new Map<string, AuthUser & { expiresAt: number }>();

  /**
   * A KeyObject made once: given a string, jsonwebtoken builds one on every call, first trying
   * createPublicKey, which fails and cost a third of the CPU of a send in the benchmark.
   */
  private readonly key: KeyObject;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(user: AuthUser): string {
    return jwt.sign({ client_id: user.clientId }, this.key, {
      algorithm: 'HS256',
      subject: String(user.userId),
      expiresIn: this.ttlSeconds,
    });
  }

  /** The token's user, or an {@link UnauthorizedError}; the algorithm is pinned to HS256. */
  verify(token: string): AuthUser {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAt) return known;
    const user = this.verifyNow(token);
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(token, user);
    return user;
  }

  private verifyNow(token: string): AuthUser & { expiresAt: number } {
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] });
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new UnauthorizedError(
        expired ? 'token_expired' : 'invalid_token',
        expired ? 'the access token has expired: refresh it' : 'the access token is not valid',
        { cause: err },
      );
    }
    const userId = typeof claims === 'object' ? Number(claims.sub) : NaN;
    const clientId: unknown = typeof claims === 'object' ? claims.client_id : undefined;
    if (!Number.isSafeInteger(userId) || userId < 1 || typeof clientId !== 'string') {
      throw new UnauthorizedError('invalid_token', 'the access token is not valid');
    }
    // jsonwebtoken accepts a token without `exp` as never expiring: ours always carry one.
    const exp = typeof claims === 'object' ? claims.exp : undefined;
    if (typeof exp !== 'number') {
      throw new UnauthorizedError('invalid_token', 'the access token is not valid');
    }
    return { userId, clientId, expiresAt: exp * 1000 };
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when the header is
 * missing or not of that form. The one parser for HTTP requests and WebSocket upgrades.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization) : null;
  return match?.[1];
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
