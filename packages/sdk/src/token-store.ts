/** What the client keeps between requests: the token pair and when the access token expires. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Where tokens live. The default keeps them in memory; the CLI stores them in a file. Methods may
 * be synchronous or return promises.
 */
export interface TokenStore {
  get(): StoredTokens | undefined | Promise<StoredTokens | undefined>;
  set(tokens: StoredTokens | undefined): void | Promise<void>;
}

/** The default {@link TokenStore}: tokens live as long as the client object. */
export class MemoryTokenStore implements TokenStore {
  private tokens: StoredTokens | undefined;

  get(): StoredTokens | undefined {
    return this.tokens;
  }

  set(tokens: StoredTokens | undefined): void {
    this.tokens = tokens;
  }
}
