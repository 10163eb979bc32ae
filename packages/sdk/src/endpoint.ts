/**
 * Requests as the OpenAPI document describes them: a method it serves on a path it serves, with
 * the path's parameters filled in. Anything else is a compile error.
 */
import { MessengerError } from './errors.js';
import type { paths } from './generated/openapi.js';
import type { RequestSpec } from './transport.js';

export type Method = RequestSpec['method'];

/** The methods the OpenAPI document serves on `P` (`put?: never` and the like are left out). */
type MethodOf<P extends keyof paths> = {
  [M in Method]: paths[P][Lowercase<M>] extends object ? M : never;
}[Method];

/** A method and a path with its parameters filled in, to spread into a request. */
export interface Endpoint<M extends Method = Method> {
  method: M;
  path: string;
}

/**
 * A method and path of the OpenAPI document with its `{param}`s filled in: a path the server
 * does not serve, or a method it does not serve there, is a compile error. Ids must be positive
 * safe integers, checked before sending; string parameters (an emoji) must not be empty and are
 * URL-encoded.
 */
export function route<P extends keyof paths, M extends MethodOf<P>>(
  method: M,
  template: P,
  params: Record<string, number | string> = {},
): Endpoint<M> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (typeof value === 'string') {
      if (value === '') throw new MessengerError(0, 'invalid_argument', `${name} is empty`);
      return encodeURIComponent(value);
    }
    if (value === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new MessengerError(0, 'invalid_argument', `not a valid ${name}: ${String(value)}`);
    }
    return String(value);
  });
  return { method, path };
}
