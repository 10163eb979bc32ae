/** What a client may read from its own access token (the server verifies it; this never does). */

/**
 * The user id in a JWT's `sub`, read without verifying (the server does that); undefined when
 * the token is not a JWT with a positive integer `sub`.
 */
export function subjectOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64)) as { sub?: unknown };
    const sub =
      typeof claims.sub === 'string' && /^\d{1,16}$/.test(claims.sub)
        ? Number(claims.sub)
        : claims.sub;
    return typeof sub === 'number' && Number.isSafeInteger(sub) && sub > 0 ? sub : undefined;
  } catch {
    return undefined;
  }
}
