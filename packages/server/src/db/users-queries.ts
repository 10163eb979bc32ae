import { sql } from './database.js';

export interface UserRow {
  id: number;
  email: string;
  name: string;
}

export interface UserWithHashRow extends UserRow {
  password_hash: string;
}

export const insertUser = sql(
  'users.insert',
  `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
   ON CONFLICT ((lower(email))) DO NOTHING
   RETURNING id, email, name`,
);

export const userByEmail = sql(
  'users.by_email',
  `SELECT id, email, name, password_hash FROM users WHERE lower(email) = lower($1)`,
);

export const userById = sql('users.by_id', `SELECT id, email, name FROM users WHERE id = $1`);

/** Prefix search on email or name; `$1` is an already escaped LIKE prefix. */
export const searchUsers = sql(
  'users.search',
  `SELECT id, email, name FROM users
   WHERE lower(email) LIKE lower($1) || '%' ESCAPE '\\' OR lower(name) LIKE lower($1) || '%' ESCAPE '\\'
   ORDER BY id LIMIT $2`,
);

export const existingUserIds = sql(
  'users.existing_ids',
  `SELECT id FROM users WHERE id = ANY($1::bigint[])`,
);

export const usersByIds = sql(
  'users.by_ids',
  `SELECT id, email, name FROM users WHERE id = ANY($1::bigint[]) ORDER BY id`,
);
