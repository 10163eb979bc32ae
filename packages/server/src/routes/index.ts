import { authRoutes } from './auth.js';
import { chatRoutes } from './chats.js';
import { fileRoutes } from './files.js';
import { healthRoutes } from './health.js';
import { integrationRoutes } from './integrations.js';
import { messageRoutes } from './messages.js';
import { syncRoutes } from './sync.js';
import { threadRoutes } from './threads.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

/** Every REST route, in the order the OpenAPI document lists them. */
export const allRoutes = [
  ...authRoutes,
  ...userRoutes,
  ...chatRoutes,
  ...messageRoutes,
  ...threadRoutes,
  ...fileRoutes,
  ...syncRoutes,
  ...integrationRoutes,
  ...webhookRoutes,
  ...healthRoutes,
];
