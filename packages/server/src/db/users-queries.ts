import { sql } from './database.js';

export interface UserRow {
  id: number;
  /** Null for bots. */
  email: string | null;
  name: string;
  is_bot: boolean;
}

export interface UserWithHashRow extends UserRow {
  email: string;
  password_hash: string;
}

/** The columns of a user object (contract: `User`). */
export const USER_COLUMNS = 'id, email, name, is_bot';

export const insertUser = sql(
  'users.insert',
  `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
   ON CONFLICT ((lower(email))) DO NOTHING
   RETURNING ${USER_COLUMNS}`,
);

export const userByEmail = sql(
  'users.by_email',
  `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
);

/** User `$1`, a deleted bot too (its messages still name it). */
export const userById = sql('users.by_id', `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`);

/** Prefix search on email or name (deleted bots left out); `$1` is an escaped LIKE prefix. */
export const searchUsers = sql(
  'users.search',
  `SELECT ${USER_COLUMNS} FROM users
   WHERE (lower(email) LIKE lower($1) || '%' ESCAPE '\\' OR lower(name) LIKE lower($1) || '%' ESCAPE '\\')
     AND deleted_at IS NULL
   ORDER BY id LIMIT $2`,
);

/** Which of `$1` are users one may add or write to (not deleted bots). */
export const existingUserIds = sql(
  'users.existing_ids',
  `SELECT id FROM users WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL`,
);

export const usersByIds = sql(
  'users.by_ids',
  `SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::bigint[]) ORDER BY id`,
);
