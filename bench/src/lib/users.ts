/** Accounts, devices and chats made through the API, as a client would. */
import { expectStatus, request, type HttpAgent } from './http.js';
import { inParallel } from './run.js';

export const PASSWORD = 'password123';

export interface Device {
  userId: number;
  email: string;
  clientId: string;
  token: string;
  /** The next operation id of this device: a random start, wrapping in int16. */
  nextOperationId: number;
}

export async function register(
  agent: HttpAgent,
  port: number,
  email: string,
): Promise<{ id: number; email: string }> {
  const res = await request(agent, port, '/register', { email, name: email, password: PASSWORD });
  expectStatus(res, 201, `register ${email}`);
  return { id: res.body.id as number, email };
}

export async function login(
  agent: HttpAgent,
  port: number,
  user: { id: number; email: string },
  clientId: string,
): Promise<Device> {
  const res = await request(agent, port, '/login', {
    email: user.email,
    password: PASSWORD,
    client_id: clientId,
  });
  expectStatus(res, 200, `login ${user.email}`);
  return {
    userId: user.id,
    email: user.email,
    clientId,
    token: res.body.access_token as string,
    nextOperationId: Math.floor(Math.random() * 65536) - 32768,
  };
}

/** `n` new users, each logged in once (device `<prefix>-<i>`). */
export function devices(
  agent: HttpAgent,
  port: number,
  prefix: string,
  n: number,
): Promise<Device[]> {
  return inParallel(n, 8, async (i) => {
    const user = await register(agent, port, `${prefix}-${i}-${process.pid}@example.com`);
    return login(agent, port, user, `${prefix}-${i}`);
  });
}

/** The device's next operation id (and advances it). */
export function nextOperationId(d: Device): number {
  const id = d.nextOperationId;
  d.nextOperationId = id === 32767 ? -32768 : id + 1;
  return id;
}

export async function createGroup(
  agent: HttpAgent,
  port: number,
  owner: Device,
  memberIds: number[],
): Promise<{ groupId: number; chatId: number }> {
  const res = await request(
    agent,
    port,
    '/group',
    { name: 'bench', participant_user_ids: memberIds.filter((id) => id !== owner.userId) },
    owner.token,
  );
  expectStatus(res, 201, 'create group');
  return { groupId: res.body.group_id as number, chatId: res.body.chat_id as number };
}

/** One send; throws unless it created a message (201). Returns the message id. */
export async function send(
  agent: HttpAgent,
  port: number,
  from: Device,
  target: { user: number } | { group: number },
  text: string,
): Promise<{ id: number; chatId: number }> {
  const path =
    'user' in target ? `/messages/user/${target.user}` : `/messages/group/${target.group}`;
  const res = await request(
    agent,
    port,
    path,
    { text, operation_id: nextOperationId(from) },
    from.token,
  );
  expectStatus(res, 201, `send to ${path}`);
  return { id: res.body.id as number, chatId: res.body.chat_id as number };
}
