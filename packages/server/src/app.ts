import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from './http/openapi.js';
import { notFoundHandler, problemHandler } from './http/problem.js';
import { buildRouter } from './http/route.js';
import { allRoutes } from './routes/index.js';
import type { Services } from './services.js';

/** The Express application: every route, /openapi.json, Swagger UI at /docs, problem answers. */
export function createApp(services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', 'loopback');

  app.use((_req, res, next) => {
    // While shutting down, answer in-flight keep-alive requests and then close the connection.
    if (services.lifecycle.isShuttingDown) res.set('Connection', 'close');
    next();
  });

  const document = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(
    '/docs',
    swaggerUi.serve,
    swaggerUi.setup(document, {
      customSiteTitle: 'msgr API',
      swaggerOptions: { persistAuthorization: true },
    }),
  );
  app.use(buildRouter(allRoutes, services));
  app.use(notFoundHandler);
  app.use(problemHandler(services.logger));
  return app;
}
