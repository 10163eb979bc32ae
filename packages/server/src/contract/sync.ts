/** The wire shapes of `GET /sync` and of who read a message (contract: v1.2). */
import { z } from 'zod';
import { LoggedFrame } from './frames.js';
import { Limits } from './limits.js';
import { POSITION_FORMAT } from './position.js';
import { Id, intParam } from './schemas.js';

export const SyncQuery = z.object({
  position: z
    .string()
    .max(20_000)
    .optional()
    .meta({
      description:
        `Where you are: ${POSITION_FORMAT}, from an earlier answer or a socket. Without it: no ` +
        'events, and the position of now.',
    }),
  timeout: intParam(0, Limits.maxSyncWaitSeconds)
    .optional()
    .meta({
      description:
        `Seconds (0..${Limits.maxSyncWaitSeconds}, default 0) to wait for a first event when ` +
        'there is none yet; then the answer holds what there is.',
    }),
  limit: intParam(1, Limits.maxSyncEvents)
    .optional()
    .meta({
      description: `Events at most, 1..${Limits.maxSyncEvents} (default ${Limits.defaultSyncEvents}).`,
    }),
});

export const SyncAnswer = z
  .object({
    events: z.array(LoggedFrame).meta({
      description:
        'The logged events after your position, in log order: each the same JSON as its ' +
        'socket frame, with its `seq` and `mark`.',
    }),
    position: z.string().meta({
      description:
        'Where you are after the last of them (or still, or now, when there are none): pass ' +
        'it to the next call, or to a socket as `?position=`.',
    }),
  })
  .meta({ id: 'SyncAnswer' });

export const Readers = z
  .object({
    message_id: Id,
    reader_ids: z.array(Id).meta({
      description: 'Members other than its sender whose read pointer is at or past it.',
    }),
  })
  .meta({ id: 'Readers' });
