import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets that must never reach a log line, wherever a careless `logger.info({ body })` puts
 * them. Nothing logs request bodies or headers today; this is the net under that rule.
 */
const REDACTED = [
  'password',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'headers.authorization',
  'headers["sec-websocket-protocol"]',
].flatMap((path) => [path, `*.${path}`]);

export interface LoggerOptions {
  /** Human-readable lines through pino-pretty instead of JSON (falls back to JSON without it). */
  isPretty?: boolean;
  /** Where JSON lines go; stdout by default. Tests capture it. */
  destination?: DestinationStream;
}

/** pino-pretty is a devDependency: production images do not have it, and need not. */
function hasPinoPretty(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** Structured JSON logs on stdout (or pretty ones on a developer's terminal). */
export function createLogger(
  level: string,
  { isPretty = false, destination }: LoggerOptions = {},
): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED, censor: '[redacted]' },
  };
  if (isPretty && !destination && hasPinoPretty()) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname' } },
    });
  }
  return destination ? pino(options, destination) : pino(options);
}

/** `LOG_FORMAT=auto`: pretty only on a terminal and outside production. */
export function isPrettyWanted(
  format: 'auto' | 'json' | 'pretty',
  { isProduction, isTerminal }: { isProduction: boolean; isTerminal: boolean },
): boolean {
  if (format !== 'auto') return format === 'pretty';
  return isTerminal && !isProduction;
}
