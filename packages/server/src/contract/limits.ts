/**
 * The protocol's fixed limits: one place, published in the OpenAPI and AsyncAPI documents
 * (`x-msgr-limits`), from which the SDK's `Limits` is generated. Limits an operator sets
 * (MAX_GROUP_MEMBERS, the rate limits…) are configuration, not these.
 */
export const Limits = {
  /** Characters (code points) of a message text, after trimming. */
  maxTextCodePoints: 4000,
  /** Distinct emoji one message may carry. */
  maxDistinctReactions: 20,
  /** Bytes of one frame a client sends on a socket (more closes it with 1009). */
  maxFrameBytes: 64 * 1024,
  /** Bytes of a JSON or form request body. */
  maxBodyBytes: 64 * 1024,
  /** Seqs a position may list above its mark. */
  maxPositionSeqs: 500,
  /** Events one `GET /sync` answers at most (`limit`), and by default. */
  maxSyncEvents: 1000,
  defaultSyncEvents: 100,
  /** Seconds one `GET /sync` may wait for a first event (`timeout`). */
  maxSyncWaitSeconds: 60,
  /** Files one message may carry. */
  maxAttachments: 10,
  /** Bytes (UTF-8) of a file name. */
  maxFileNameBytes: 255,
  /** Width and height of a thumbnail, at most. */
  thumbnailPixels: 320,
  /** People one message may name (`mentions`). */
  maxMentions: 50,
  /** Seconds ahead a notification level may be set to lapse (`until`): a year. */
  maxMuteSeconds: 366 * 24 * 3600,
  /** API tokens one user (or bot) may hold. */
  maxApiTokens: 100,
  /** Bots one person may own. */
  maxBots: 50,
  /** Incoming webhooks one chat may have. */
  maxHooksPerChat: 20,
  /** Outgoing webhooks one user may have. */
  maxWebhooks: 20,
} as const;

/** What each limit means, for the documents. */
export const LIMIT_DESCRIPTIONS: Record<keyof typeof Limits, string> = {
  maxTextCodePoints: 'Characters (Unicode code points) of a message text, after trimming.',
  maxDistinctReactions: 'Distinct emoji one message may carry.',
  maxFrameBytes: 'Bytes of one frame a client sends on a socket (more closes it with 1009).',
  maxBodyBytes: 'Bytes of a JSON or form request body (more answers 413).',
  maxPositionSeqs: 'Seqs a position may list above its mark.',
  maxSyncEvents: 'Events one GET /sync answers at most (its `limit`).',
  defaultSyncEvents: 'Events GET /sync answers when no `limit` is given.',
  maxSyncWaitSeconds: 'Seconds GET /sync may wait for a first event (its `timeout`).',
  maxAttachments: 'Files one message may carry (`attachments`).',
  maxFileNameBytes: 'Bytes (UTF-8) of a file name; longer names are shortened.',
  thumbnailPixels: 'Width and height of a thumbnail, at most (aspect ratio kept).',
  maxMentions: 'People one message may name (`mentions`).',
  maxMuteSeconds:
    'Seconds ahead a notification level may be set to lapse (`until`): a year (366 days).',
  maxApiTokens: 'API tokens one user (or bot) may hold.',
  maxBots: 'Bots one person may own.',
  maxHooksPerChat: 'Incoming webhooks one chat may have.',
  maxWebhooks: 'Outgoing webhooks one user may have.',
};
