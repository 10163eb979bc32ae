/**
 * Answers that carry a file's bytes (contract v1.3, "Reading"): the ETag (its sha256),
 * `If-None-Match` → 304, one byte range → 206, an unsatisfiable one → 416, and the headers that
 * keep a hostile upload from running in a browser that opens it: nosniff, a sandboxing CSP and an
 * attachment disposition (inline for images only).
 */
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import parseRange from 'range-parser';
import type { ByteRange } from '../storage/file-store.js';
import type { Reply } from './route.js';
import { HttpError } from './problem.js';

export interface Bytes {
  size: number;
  /** Quoted as the ETag: the content's sha256 (hex). */
  tag: string;
  contentType: string;
  /** The Content-Disposition header (media.ts `contentDisposition`). */
  disposition: string;
  read(range?: ByteRange): Readable;
}

/** The headers every answer about these bytes carries (304 and 206 too). */
function fixedHeaders(bytes: Bytes): Record<string, string> {
  return {
    ETag: `"${bytes.tag}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox',
    'Content-Disposition': bytes.disposition,
  };
}

function matches(ifNoneMatch: string, tag: string): boolean {
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === `"${tag}"`);
}

/** The reply for GET/HEAD of `bytes`, as `req` asks for them. */
export function bytesReply(req: Request, bytes: Bytes): Reply {
  const headers = fixedHeaders(bytes);
  const ifNoneMatch = req.get('if-none-match');
  if (ifNoneMatch !== undefined && matches(ifNoneMatch, bytes.tag)) {
    return { status: 304, headers };
  }
  headers['Content-Type'] = bytes.contentType;
  const rangeHeader = req.get('range');
  const ifRange = req.get('if-range');
  // A range of another version (If-Range not this ETag) is the whole file (RFC 9110 §13.1.5).
  const wantsRange = rangeHeader !== undefined && (!ifRange || ifRange === `"${bytes.tag}"`);
  const ranges = wantsRange ? parseRange(bytes.size, rangeHeader, { combine: true }) : -2;
  if (ranges === -1) {
    throw new HttpError(
      416,
      'range_not_satisfiable',
      `the file holds ${bytes.size} bytes`,
      undefined,
      {
        headers: { 'Content-Range': `bytes */${bytes.size}` },
      },
    );
  }
  // Malformed, not in bytes, or several ranges: the whole file (allowed by RFC 9110 §14.2).
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
    headers['Content-Length'] = String(bytes.size);
    return { status: 200, headers, stream: () => bytes.read() };
  }
  const { start, end } = ranges[0]!;
  headers['Content-Length'] = String(end - start + 1);
  headers['Content-Range'] = `bytes ${start}-${end}/${bytes.size}`;
  return { status: 206, headers, stream: () => bytes.read({ start, end }) };
}
