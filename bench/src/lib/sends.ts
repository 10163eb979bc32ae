/**
 * Sends as the send scenarios make them: over HTTP to an instance, or the very statement the
 * server runs (`SELECT * FROM msgr_send(…)`, named, with the values the server builds) through
 * a pg.Pool: the baseline.
 */
import type pg from 'pg';
import * as M from '../../../packages/server/src/db/messages-queries.js';
import { sendValues } from '../../../packages/server/src/domain/messages.js';
import { request, type HttpAgent } from './http.js';
import { nextOperationId, type Device } from './users.js';

/** One send; replaying it means sending exactly the same thing again. */
export interface Send {
  from: Device;
  kind: 'user' | 'group';
  target: number;
  operationId: number;
  text: string;
}

export function newSend(from: Device, kind: Send['kind'], target: number): Send {
  const operationId = nextOperationId(from);
  return { from, kind, target, operationId, text: `bench ${from.userId}/${operationId}` };
}

/** POST /messages/…: 201 (or, for a replay, 200 + Idempotent-Replayed), else it throws. */
export async function httpSend(
  agent: HttpAgent,
  port: number,
  s: Send,
  replay = false,
): Promise<void> {
  const res = await request(
    agent,
    port,
    `/messages/${s.kind}/${s.target}`,
    { text: s.text, operation_id: s.operationId },
    s.from.token,
  );
  const ok = replay
    ? res.status === 200 && res.headers['idempotent-replayed'] === 'true'
    : res.status === 201;
  if (!ok) throw new Error(`http send: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The server's defaults for what msgr_send is given besides the send itself. */
export interface SendConfig {
  idempotencyWindowSeconds: number;
  rateLimitSendsPerMinute: number;
}

export const LIMITS_OFF: SendConfig = { idempotencyWindowSeconds: 300, rateLimitSendsPerMinute: 0 };

/** The statement a pg send runs: the server's own unless a scenario installs another. */
export interface SendStatement {
  name: string;
  text: string;
}

export async function pgSend(
  pool: pg.Pool,
  config: SendConfig,
  s: Send,
  replay = false,
  statement: SendStatement = M.send,
): Promise<void> {
  const { rows } = await pool.query<{ status: string }>({
    name: statement.name,
    text: statement.text,
    values: sendValues(
      config,
      { userId: s.from.userId, clientId: s.from.clientId },
      { kind: s.kind, id: s.target },
      { text: s.text, operationId: s.operationId },
    ),
  });
  const expected = replay ? 'replayed' : 'created';
  if (rows[0]?.status !== expected) throw new Error(`pg send: ${rows[0]?.status}`);
}
