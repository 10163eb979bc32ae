import { Limits } from '../contract/limits.js';
import { SyncAnswer, SyncQuery } from '../contract/sync.js';
import { route } from '../http/route.js';
import { sync } from '../domain/sync.js';

export const syncRoutes = [
  route({
    method: 'get',
    path: '/sync',
    operationId: 'sync',
    tag: 'sync',
    summary: 'Catch up on every change since your position',
    description:
      'The logged events you should get after `position` — new messages, edits, deletions, ' +
      'reactions, reads, your read pointer on other devices, members and renames — in log ' +
      'order, exactly as your sockets get them (never the events this device caused), with the ' +
      'position after them. Nothing is consumed: the same call answers the same. With ' +
      '`timeout`, a call that finds nothing waits for a first event (a long-poll; a waiting ' +
      'call holds no database connection). Events are kept EVENT_RETENTION_DAYS (default 30): ' +
      'an older position answers 410 `position_expired`.',
    query: SyncQuery,
    responses: { 200: { description: 'The events and your new position.', schema: SyncAnswer } },
    errors: {
      410: '`position_expired`: reload what you show, then sync from the position of now.',
      422: 'Invalid input, or `position_invalid`.',
    },
    handler: async ({ query, user, services, signal }) => {
      const answer = await sync(services, user, {
        position: query.position,
        limit: query.limit ?? Limits.defaultSyncEvents,
        timeoutSeconds: query.timeout ?? 0,
        signal,
      });
      return {
        status: 200,
        json: `{"events":[${answer.frames.join(',')}],"position":${JSON.stringify(answer.position)}}`,
      };
    },
  }),
];
