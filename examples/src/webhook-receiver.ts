/**
 * A receiver of msgr's outgoing webhooks, on nothing but `node:http`: it checks each delivery's
 * signature, prints the event on one line, and answers 204.
 *
 *   PORT=8080 MSGR_WEBHOOK_SECRET=whsec_… node --import tsx examples/src/webhook-receiver.ts
 *
 * - `PORT`: where to listen (default 8080; 0 picks a free port, printed at start).
 * - `HOST`: the address to listen on (default all of them).
 * - `MSGR_WEBHOOK_SECRET`: the webhook's signing secret, as `POST /webhooks` answered it.
 *
 * What it must get right, as every receiver must:
 * - Only the server that holds the secret can make a delivery whose signature matches: anything
 *   else is answered 400 and ignored (`verifyWebhook` also refuses a delivery more than five
 *   minutes old, so a recorded one cannot be played again later).
 * - A delivery comes at least once: when the 2xx is lost on the way back, the server sends the
 *   same event again, with the same `webhook-id` header. The receiver acts on each id once.
 * - The server waits for the answer before it sends the next event: answer fast (put slow work
 *   on a queue), and 2xx only once the event is taken care of.
 * - What people wrote may hold terminal escape sequences: printed through `safeLine`.
 */
import http from 'node:http';
import { safeLine } from '@msgr/safe-text';
import { verifyWebhook, type WebhookEvent } from '@msgr/sdk';

const secret = process.env.MSGR_WEBHOOK_SECRET;
const port = Number(process.env.PORT ?? 8080);
if (!secret) {
  process.stderr.write('webhook-receiver: set MSGR_WEBHOOK_SECRET to the whsec_… secret\n');
  process.exit(2);
}

/** Deliveries are small (one event); a bigger body is no delivery. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * The ids of the deliveries handled, oldest first (a `Set` keeps insertion order), the last
 * 10,000 of them: a repeat comes within seconds or hours, not after thousands of others. Kept
 * in memory only, so a repeat that arrives just after a restart is printed again: an app that
 * must act once across restarts keeps them on disk, or in the database where it does the work.
 */
const handled = new Set<string>();
const REMEMBERED = 10_000;

const server = http.createServer((req, res) => {
  receive(req).then(
    (status) => res.writeHead(status).end(),
    () => res.writeHead(500).end(),
  );
});

/** Takes one delivery; the HTTP status to answer. */
async function receive(req: http.IncomingMessage): Promise<number> {
  if (req.method !== 'POST') return 405;
  const body = await readBody(req);
  if (body === undefined) return 413;
  let event: WebhookEvent;
  try {
    // The raw bytes, as they came: the signature is over them, not over re-serialised JSON.
    event = await verifyWebhook(secret!, req.headers, body);
  } catch {
    process.stderr.write('webhook-receiver: refused a delivery with no valid signature\n');
    return 400;
  }
  const id = String(req.headers['webhook-id']);
  if (handled.has(id)) return 204; // a repeat: taken care of already
  process.stdout.write(`${describe(event)}\n`);
  handled.add(id);
  if (handled.size > REMEMBERED) handled.delete(handled.values().next().value!);
  return 204;
}

/** The request's body, or undefined when it is over MAX_BODY_BYTES. */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One line for an event: its place in the log, its kind, and what it says. */
function describe(event: WebhookEvent): string {
  const head = `#${event.seq} ${event.type}`;
  switch (event.type) {
    case 'Message':
    case 'MessageEdited': {
      const { id, chat_id, sender_id, text } = event.message;
      return `${head} chat ${chat_id} message ${id} from user ${sender_id}: ${safeLine(text)}`;
    }
    case 'MessageDeleted':
      return `${head} chat ${event.chat_id} message ${event.message_id}`;
    default:
      // Every kind has its own fields (see the AsyncAPI document): shown as they came.
      return `${head} ${safeLine(JSON.stringify(event))}`;
  }
}

server.listen(port, process.env.HOST, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`listening on port ${actual}\n`);
});

const stop = () => server.close(() => process.stdout.write('stopped\n'));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
