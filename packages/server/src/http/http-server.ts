import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** Node's constructors as the plain functions they are (`IncomingMessage.call(this, socket)`). */
type Init<A extends unknown[]> = (this: object, ...args: A) => void;

/**
 * Node's HTTP server for `app`, whose requests and answers are made with the app's own prototypes
 * (`app.request`, `app.response`) instead of Node's.
 *
 * Express gives each request its prototypes as it arrives (`Object.setPrototypeOf` on `req` and
 * `res` in `app.handle`). An object whose prototype changes after it was made takes a new hidden
 * class, so every property access in Node's HTTP code, Express and ours meets shapes it has not
 * cached. Made with those prototypes from the start, the objects already have them: Express's
 * call changes nothing (V8 returns early when the prototype is the same), and the shapes stay
 * few. Measured on a bare app (`docs/performance.md`, "Express's prototypes"): 154 → 75 µs of
 * CPU per request.
 *
 * The constructors are functions that call Node's on `this`, as Node's own are written: made with
 * `Reflect.construct(IncomingMessage, [socket], Request)` instead, a request cost 207 µs.
 */
export function createHttpServer(app: Express, options: http.ServerOptions = {}): http.Server {
  const initRequest = http.IncomingMessage as unknown as Init<[Socket]>;
  const initResponse = http.ServerResponse as unknown as Init<[http.IncomingMessage, object?]>;
  function Request(this: object, socket: Socket) {
    initRequest.call(this, socket);
  }
  Request.prototype = app.request;
  function Response(this: object, req: http.IncomingMessage, responseOptions?: object) {
    initResponse.call(this, req, responseOptions);
  }
  Response.prototype = app.response;
  return http.createServer(
    {
      ...options,
      IncomingMessage: Request as unknown as typeof http.IncomingMessage,
      ServerResponse: Response as unknown as typeof http.ServerResponse,
    },
    app,
  );
}
