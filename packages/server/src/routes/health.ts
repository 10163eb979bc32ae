import { route } from '../http/route.js';
import { Health } from '../contract/schemas.js';

export const healthRoutes = [
  route({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'health',
    summary: 'The process is up',
    isPublic: true,
    responses: { 200: { description: 'Up.', schema: Health } },
    handler: () => ({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tag: 'health',
    summary:
      'Ready for traffic: the database answers, the event listener is connected, no shutdown is under way',
    isPublic: true,
    responses: {
      200: { description: 'Ready.', schema: Health },
      503: { description: 'Shutting down, or the database is unreachable.', schema: Health },
    },
    handler: async ({ services }) => {
      const isReady =
        !services.lifecycle.isShuttingDown &&
        services.isListening() &&
        (await services.db.ping(1000));
      return isReady
        ? { status: 200, body: { status: 'ok' } }
        : { status: 503, body: { status: 'unavailable' } };
    },
  }),
];
