/**
 * Every machine `code` the server answers with: in problem documents (`Problem.code`) and in
 * socket `Error` frames. Published in the OpenAPI document (the `ErrorCode` schema, an enum with
 * a description per code), from which the SDK's `ErrorCode` type is generated. A test finds
 * every code the server's source can answer with and checks it is here.
 */
export const ERROR_CODES = {
  attachment_invalid: 'An attachment is not one of your own uploads.',
  bad_request: 'The request is malformed: its URL, percent-encoding, headers, framing or body.',
  bad_upgrade: 'A WebSocket upgrade that is not one (method, Upgrade, version or key).',
  busy: 'Too many logins or registrations at once on this instance: retry after Retry-After.',
  chat_forbidden: 'You are not a member of this chat.',
  chat_not_found: 'No chat has this id.',
  database_unavailable: 'The database cannot be reached right now: retry after Retry-After.',
  email_taken: 'An account with this email exists.',
  expectation_failed: 'An Expect header the server does not meet.',
  file_not_found: 'No file with this id is yours or shared with you (existence is not revealed).',
  group_not_found: 'No group has this id.',
  group_too_large: 'Past MAX_GROUP_MEMBERS.',
  headers_too_large: 'The request headers are too large.',
  idempotency_key_conflict: 'This Idempotency-Key was used for another request within the window.',
  idempotency_key_invalid: 'An Idempotency-Key must be 1..255 visible ASCII characters.',
  internal_error: 'The server failed (a bug, logged with the request id).',
  invalid_credentials: 'Wrong email or password.',
  invalid_refresh_token: 'The refresh token is unknown, revoked or expired.',
  invalid_token: 'The access token is malformed, forged, or its account is gone.',
  malformed_frame: 'A socket frame that is not JSON text.',
  malformed_json: 'The request body is not valid JSON.',
  member_not_found: 'This user is not a member of the group.',
  mention_invalid: 'Someone named in mentions is not a member of the chat.',
  message_deleted: 'The message was deleted.',
  message_not_found: 'No message has this id.',
  method_not_allowed: 'A method no route serves (CONNECT and the like).',
  missing_host: 'An HTTP/1.1 request without Host.',
  missing_token: 'No access token was sent.',
  not_group_owner: 'Only the owner of the group may do this.',
  not_message_sender: 'Only its sender (or, to delete, the group owner) may do this.',
  operation_id_conflict:
    'This operation_id was used for another request within the idempotency window: pick another.',
  payload_too_large: 'The request body is too large.',
  position_expired:
    'The position is older than the log keeps (EVENT_RETENTION_DAYS): reload, then sync from now.',
  position_invalid: 'Not a position this server handed out.',
  quota_exceeded: 'Your files would take more than UPLOAD_QUOTA_BYTES.',
  range_not_satisfiable: 'The byte range lies outside the file.',
  rate_limited: 'Over a limit: retry after Retry-After.',
  refresh_token_reused:
    'A refresh token used again after its grace: its whole family is revoked (log in again).',
  reply_to_invalid: 'reply_to is not a message of the same chat.',
  request_aborted: 'The client aborted the request.',
  request_timeout: 'The request did not arrive in time.',
  route_not_found: 'No route at this method and path.',
  shutting_down: 'This instance is shutting down: use another.',
  thread_invalid: 'thread_id is not a top-level, non-deleted message of the same chat.',
  thumbnail_unavailable: 'The file is not an image with a thumbnail.',
  token_expired: 'The access token expired: refresh it.',
  too_many_reactions: 'The message holds the most distinct reactions it may.',
  unknown_frame: 'A socket frame of a type the server does not take.',
  unsupported_media_type: 'A content type, encoding or charset the server does not take.',
  upload_conflict: 'The upload is at another offset, or another request is writing to it.',
  upload_not_found: 'No upload with this id is yours (or it expired).',
  uri_too_long: 'The URL is too long.',
  user_not_found: 'No user has this id.',
  validation_failed: 'The input failed validation (`errors` says where).',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
