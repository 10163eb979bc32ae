/** The keys of the contract's message object (v1.1), for shape assertions. */
export const MESSAGE_KEYS = [
  'id',
  'chat_id',
  'sender_id',
  'text',
  'timestamp',
  'is_read',
  'edited_at',
  'deleted',
  'reply_to',
  'reactions',
  'attachments',
  'mentions',
  'mention_all',
  'thread_id',
  'thread',
];

/** The keys of the contract's file object (v1.3). */
export const FILE_KEYS = [
  'id',
  'name',
  'size',
  'content_type',
  'sha256',
  'created_at',
  'uploader_id',
  'image',
];
