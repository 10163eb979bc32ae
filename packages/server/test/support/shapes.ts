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
];
