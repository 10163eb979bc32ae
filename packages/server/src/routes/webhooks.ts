import type { RouteSpec } from '../http/route.js';

/** Outgoing webhooks (contract v1.5): written next. */
export const webhookRoutes: RouteSpec[] = [];
