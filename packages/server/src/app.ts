import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { cors } from './http/cors.js';
import { observeRequests, routeLabel } from './http/observe.js';
import { buildAsyncApiDocument, buildOpenApiDocument } from './api-documents.js';
import { HttpError, notFoundHandler, problemHandler } from './http/problem.js';
import { buildRouter } from './http/route.js';
import { allRoutes } from './routes/index.js';
import { UPLOADS_PATH, uploadsHandler } from './routes/uploads.js';
import type { Services } from './services.js';

/**
 * The Express application: every route, /openapi.json, Swagger UI at /docs, /metrics, problem
 * answers, and a request id, an access-log line and metrics for every request.
 */
export function createApp(services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Whose X-Forwarded-For names the client (req.ip: IP limits, logs): nobody unless told.
  app.set('trust proxy', services.config.trustProxy);
  app.use(observeRequests(services.logger, services.metrics));
  app.use(cors(services.config.corsOrigins));
  // RFC 9112 §3.2: an HTTP/1.1 request without a Host is answered 400 (server.ts turns Node's
  // own bare check off so that this answer is a problem document like any other).
  app.use((req, res, next) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      throw new HttpError(400, 'missing_host', 'an HTTP/1.1 request needs a Host header');
    }
    // While shutting down, answer in-flight keep-alive requests and then close the connection.
    if (services.lifecycle.isShuttingDown) res.set('Connection', 'close');
    next();
  });
  // The API first: its requests are the many, and every layer before it is tried in turn. Its
  // routers pass on what they do not serve (their first path segments are the API's own).
  app.use(buildRouter(allRoutes, services));

  // Public, like the health probes: Prometheus scrapes without credentials.
  app.get('/metrics', routeLabel('/metrics'), async (_req, res) => {
    const { contentType, text } = await services.metrics.render();
    res.type(contentType).send(text);
  });
  const document = buildOpenApiDocument();
  app.get('/openapi.json', routeLabel('/openapi.json'), (_req, res) => {
    res.json(document);
  });
  const sockets = buildAsyncApiDocument();
  app.get('/asyncapi.json', routeLabel('/asyncapi.json'), (_req, res) => {
    res.json(sockets);
  });
  app.use(
    '/docs',
    routeLabel('/docs'),
    swaggerUi.serve,
    swaggerUi.setup(document, {
      customSiteTitle: 'msgr API',
      swaggerOptions: { persistAuthorization: true },
    }),
  );
  app.all([UPLOADS_PATH, `${UPLOADS_PATH}/:upload_id`], ...uploadsHandler(services));
  app.use(notFoundHandler);
  app.use(problemHandler());
  return app;
}
