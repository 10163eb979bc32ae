import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. Never pass tokens or passwords in the bound fields. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: ['req.headers.authorization', 'password', 'access_token', 'refresh_token'],
  });
}
