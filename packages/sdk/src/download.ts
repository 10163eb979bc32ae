/** A file's bytes as `GET /files/{id}` answers them, made a {@link Download}. */
import { MessengerError } from './errors.js';
import type { Answer } from './transport.js';
import type { Download } from './types.js';

/**
 * The `Range` header for bytes `start`..`end` (inclusive; either may be left out), or undefined
 * for the whole file.
 */
export function byteRange(start: number | undefined, end: number | undefined): string | undefined {
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new MessengerError(0, 'invalid_argument', `${name} is not a byte offset: ${value}`);
    }
  }
  if (start === undefined && end === undefined) return undefined;
  const from = start ?? 0;
  if (end !== undefined && end < from) {
    throw new MessengerError(0, 'invalid_argument', `end (${end}) is before start (${from})`);
  }
  return `bytes=${from}-${end ?? ''}`;
}

/**
 * `body` that errors with `timeout` (and lets go of the connection) when no bytes come for
 * `idleMs`: a download stalled mid-body ends instead of waiting for ever.
 */
export function withIdleTimeout(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new MessengerError(0, 'timeout', `no bytes of the download for ${idleMs} ms`)),
          idleMs,
        );
      });
      try {
        const { done, value } = await Promise.race([reader.read(), stalled]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        void reader.cancel(err).catch(() => undefined);
        controller.error(err);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The download a successful streamed answer is (its body stops after `idleMs` of silence). */
export function downloadOf(answer: Answer, idleMs: number): Download {
  const { status, headers } = answer;
  const body = answer.body as ReadableStream<Uint8Array> | null;
  if ((status !== 200 && status !== 206) || !body) {
    void body?.cancel().catch(() => undefined);
    throw new MessengerError(status, 'invalid_response', `HTTP ${status} without the file's bytes`);
  }
  const length = headers.get('content-length');
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(headers.get('content-range') ?? '');
  const size =
    length !== null ? Number(length) : range ? Number(range[2]) - Number(range[1]) + 1 : -1;
  const totalSize = status === 206 ? (range && range[3] !== '*' ? Number(range[3]) : -1) : size;
  return {
    body: withIdleTimeout(body, idleMs),
    status,
    size,
    totalSize,
    contentType: headers.get('content-type') ?? 'application/octet-stream',
    name: fileNameOf(headers.get('content-disposition')),
    sha256: (headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, ''),
  };
}

/** The name in a Content-Disposition: its `filename*` (RFC 8187), else its `filename`. */
function fileNameOf(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*\s*=\s*UTF-8'[^']*'([^;\s]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!);
    } catch {
      // Not percent-encoding after all: the plain name, if any.
    }
  }
  return /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition)?.[1]?.replace(/\\(.)/g, '$1');
}
