/**
 * What an uploaded file is, from its bytes (contract v1.3 "files and attachments"): its content
 * type, an image's size read from its header, a thumbnail, a clean file name and the
 * Content-Disposition that serves it. Pure functions over bytes; no database, nothing of ours.
 *
 * The image header parsers live here rather than in a dependency because they must answer from a
 * prefix of the file (sharp needs the whole GIF or WebP) and must report what a bomb claims
 * instead of refusing to say (sharp's metadata() refuses past its pixel limit).
 */
import { type Readable, addAbortSignal } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';

/** How many leading bytes {@link detectContentType} wants (fewer for a shorter file). */
export const HEAD_BYTES = 64 * 1024;

/**
 * How many leading bytes {@link imageSize} reads. A JPEG's size comes after its EXIF, XMP and
 * ICC segments, which may run past 64 KiB; a prefix this long also serves detectContentType.
 */
export const IMAGE_HEAD_BYTES = 256 * 1024;

/** The content types that get a thumbnail, `image: {width, height}` and inline disposition. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/**
 * The most pixels (width × height, as the header claims) a thumbnail decodes: 50 MP, so a 50 MP
 * phone photo fits while a decoded frame stays under ~200 MB.
 */
export const MAX_INPUT_PIXELS = 50_000_000;

/** The default of {@link ThumbnailLimits.maxInputBytes}: the default UPLOAD_MAX_BYTES. */
export const THUMBNAIL_MAX_INPUT_BYTES = 100 * 1024 * 1024;

/** A thumbnail fits in a square of this many pixels. */
export const THUMBNAIL_SIZE = 320;

// ---------------------------------------------------------------------------------------------
// Content type

/** Formats file-type knows that may be all text (besides text/* and XML); others are binary. */
const TEXT_FORMATS = new Set([
  'application/pdf',
  'application/postscript',
  'application/rtf',
  'application/pgp-encrypted',
  'model/stl',
]);

/** The elements a browser sniffs as HTML (WHATWG MIME Sniffing, "unknown MIME type"). */
const HTML_ELEMENTS = new Set(
  'html head script iframe h1 div font table a style title b body br p'.split(' '),
);

/**
 * The type of a file from its first bytes (pass {@link HEAD_BYTES}, or the whole file when
 * shorter). Binary formats come from file-type. Text is `text/plain; charset=utf-8` when the
 * bytes are UTF-8 (a character cut at the end of the head is fine) with no control bytes other
 * than tab, line breaks, form feed and escape; markup whose first element is `<svg>` is
 * `image/svg+xml` and HTML (as a browser would sniff it, or XHTML) is `text/html`. Both are
 * reported as what they are: neither is in {@link IMAGE_TYPES}, so neither is ever served inline.
 * A text file that merely starts like a binary signature (`BM…`, `GIF87…`) stays text. Anything
 * else, the empty file included, is `application/octet-stream`.
 *
 * @example await detectContentType(Buffer.from('<svg width="10"/>')) // 'image/svg+xml'
 */
export async function detectContentType(head: Buffer): Promise<string> {
  if (head.length === 0) return OCTET_STREAM;
  // file-type parses hostile containers; a bug of its parser must not fail the upload.
  const found = (await fileTypeFromBuffer(head).catch(() => undefined))?.mime;
  if (hasBinaryBytes(head)) return found ?? OCTET_STREAM;
  const markup = markupType(head);
  if (markup) return markup;
  if (found && isTextFormat(found)) return found;
  if (isUtf8(head)) return 'text/plain; charset=utf-8';
  return found ?? OCTET_STREAM;
}

const OCTET_STREAM = 'application/octet-stream';

function isTextFormat(mime: string): boolean {
  return mime.startsWith('text/') || /[/+]xml$/.test(mime) || TEXT_FORMATS.has(mime);
}

/** The "binary data bytes" of WHATWG MIME Sniffing: NUL and the controls text never holds. */
function hasBinaryBytes(head: Buffer): boolean {
  return head.some(
    (byte) =>
      byte <= 0x08 ||
      byte === 0x0b ||
      (byte >= 0x0e && byte <= 0x1a) ||
      (byte >= 0x1c && byte <= 0x1f),
  );
}

function isUtf8(head: Buffer): boolean {
  try {
    // stream: true holds back a character cut at the end of the head instead of refusing it.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** `image/svg+xml` or `text/html` from the first element, past any XML prolog, else null. */
function markupType(head: Buffer): string | null {
  let text = head
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  // Skip what may precede the root: whitespace, <?xml …?>, comments and the doctype.
  const prolog = /^(?:\s+|<\?[^]*?\?>|<!--[^]*?-->|<!doctype\b[^>]*>)/i;
  let isHtmlDoctype = false;
  for (let match = prolog.exec(text); match && match[0]; match = prolog.exec(text)) {
    if (/^<!doctype\s+html\b/i.test(match[0])) isHtmlDoctype = true;
    text = text.slice(match[0].length);
  }
  const element = /^<([a-z][a-z0-9]*)(?:[\s/>]|$)/i.exec(text)?.[1]?.toLowerCase();
  if (element === 'svg') return 'image/svg+xml';
  if (isHtmlDoctype || (element !== undefined && HTML_ELEMENTS.has(element))) return 'text/html';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Image size from the header

/** An image's size in pixels, as shown (a JPEG's EXIF orientation applied). */
export interface ImageSize {
  width: number;
  height: number;
}

/** The subtype of each of {@link IMAGE_TYPES}. */
type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/**
 * The size an image's header claims, without decoding pixels, from the first
 * {@link IMAGE_HEAD_BYTES} of the file. A bomb's claim is returned as is (the caller decides),
 * and so is any size the format can express. Null when `contentType` is not in
 * {@link IMAGE_TYPES} or the header cannot be read.
 *
 * @example imageSize(head, 'image/png') // { width: 640, height: 480 }
 */
export function imageSize(head: Buffer, contentType: string): ImageSize | null {
  if (!IMAGE_TYPES.has(contentType)) return null;
  try {
    const size = HEADER_READERS[contentType.slice('image/'.length) as ImageFormat](head);
    return size && size.width > 0 && size.height > 0 ? size : null;
  } catch (error) {
    // Buffer reads past the end throw a RangeError: a header cut short.
    if (error instanceof RangeError) return null;
    throw error;
  }
}

const HEADER_READERS: Record<ImageFormat, (b: Buffer) => ImageSize | null> = {
  png: (b) => {
    if (formatOf(b) !== 'png' || b.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  },
  gif: (b) => {
    // The logical screen: every frame is drawn inside it.
    if (formatOf(b) !== 'gif') return null;
    return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  },
  webp: (b) => {
    if (formatOf(b) !== 'webp') return null;
    switch (b.toString('latin1', 12, 16)) {
      case 'VP8 ': // lossy: a key frame's start code, then 14-bit sizes
        if (b.readUIntBE(23, 3) !== 0x9d012a) return null;
        return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
      case 'VP8L': {
        // lossless: a signature byte, then 14 bits of width - 1 and 14 of height - 1
        if (b.readUInt8(20) !== 0x2f) return null;
        const bits = b.readUInt32LE(21);
        return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
      }
      case 'VP8X': // extended (alpha, animation): the canvas, 24 bits each, minus one
        return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
      default:
        return null;
    }
  },
  jpeg: readJpegSize,
};

function readJpegSize(b: Buffer): ImageSize | null {
  if (formatOf(b) !== 'jpeg') return null;
  let orientation = 1;
  let at = 2;
  for (;;) {
    if (b.readUInt8(at) !== 0xff) return null;
    while (b.readUInt8(at) === 0xff) at += 1; // fill bytes
    const marker = b.readUInt8(at);
    at += 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return null; // image end or scan before a frame
    const length = b.readUInt16BE(at);
    if (length < 2) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) {
      const height = b.readUInt16BE(at + 3);
      const width = b.readUInt16BE(at + 5);
      // Orientations 5 to 8 turn the picture a quarter: it shows height × width.
      return orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    if (marker === 0xe1 && b.toString('latin1', at + 2, at + 8) === 'Exif\0\0') {
      orientation = exifOrientation(b.subarray(at + 8, at + length));
    }
    at += length;
  }
}

/** The Orientation tag of IFD0 in a TIFF structure (the body of an EXIF segment), else 1. */
function exifOrientation(tiff: Buffer): number {
  const isLittle = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (isLittle ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  try {
    const ifd = isLittle ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
    for (let i = 0, entries = u16(ifd); i < entries; i += 1) {
      const entry = ifd + 2 + i * 12;
      if (u16(entry) !== 0x0112) continue;
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  } catch {
    // damaged EXIF: the picture as stored
  }
  return 1;
}

/** Which of the four thumbnail formats the signature at the start says, else null. */
function formatOf(b: Buffer): ImageFormat | null {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a)
    return 'png';
  if (b.length >= 3 && b.readUIntBE(0, 3) === 0xffd8ff) return 'jpeg';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif';
  if (
    b.length >= 12 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'webp';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Thumbnails

/** What {@link makeThumbnail} may spend on one image. */
export interface ThumbnailLimits {
  /** The most pixels the header may claim; default {@link MAX_INPUT_PIXELS}. */
  maxInputPixels?: number;
  /**
   * The most bytes read into memory (sharp holds the whole input anyway); default
   * {@link THUMBNAIL_MAX_INPUT_BYTES}.
   */
  maxInputBytes?: number;
  /** Stop encoding after this long; default 10 seconds. */
  timeoutSeconds?: number;
  /** Stops reading the source (and rejects with its reason) when aborted. */
  signal?: AbortSignal;
}

/** A thumbnail: PNG or JPEG, no metadata. */
export interface Thumbnail {
  data: Buffer;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

/**
 * A thumbnail of a PNG, JPEG, GIF or WebP: at most {@link THUMBNAIL_SIZE} on each side, aspect
 * ratio kept, never enlarged, turned as its EXIF orientation says, then stripped of all metadata
 * (EXIF, ICC, XMP). An animation gives its first frame. PNG for PNG and GIF sources and for
 * anything with alpha (graphics and transparency stay sharp), JPEG otherwise (photos).
 *
 * Resolves null when there is no thumbnail to give: not one of those formats, a corrupt image, or
 * one refused (a header claiming more than `maxInputPixels`, checked before the rest of a stream
 * is read and again by sharp before it decodes; a file over `maxInputBytes`; an encode past
 * `timeoutSeconds`). Refusals are null rather than an error because the caller does the same
 * for all of them: keep the file, without a thumbnail. A source stream's own error, and the
 * signal's abort, reject as they are.
 *
 * @example const thumb = await makeThumbnail(await store.read(file), { signal });
 */
export async function makeThumbnail(
  source: Readable | Buffer,
  limits: ThumbnailLimits = {},
): Promise<Thumbnail | null> {
  const {
    maxInputPixels = MAX_INPUT_PIXELS,
    maxInputBytes = THUMBNAIL_MAX_INPUT_BYTES,
    timeoutSeconds = 10,
    signal,
  } = limits;
  const check = (head: Buffer): ImageFormat | null => {
    const format = formatOf(head);
    const size = format && imageSize(head, `image/${format}`);
    return size && size.width * size.height <= maxInputPixels ? format : null;
  };
  const input = await readChecked(source, check, maxInputBytes, signal);
  if (!input) return null;
  signal?.throwIfAborted();
  // sharp rejects for corrupt or truncated pixels, a pixel limit or a timeout: all mean null.
  return encodeThumbnail(input.bytes, input.format, maxInputPixels, timeoutSeconds).catch(
    () => null,
  );
}

async function encodeThumbnail(
  bytes: Buffer,
  format: ImageFormat,
  maxInputPixels: number,
  timeoutSeconds: number,
): Promise<Thumbnail | null> {
  // Only the first frame (pages: 1 is sharp's default); 'warning' is sharp's advice for
  // untrusted input: any damage fails the decode.
  const options = {
    limitInputPixels: maxInputPixels,
    failOn: 'warning',
    autoOrient: true,
  } as const;
  const meta = await sharp(bytes, options).metadata();
  // libvips chooses its loader by signature too; insist it agrees with ours.
  if (meta.format !== format) return null;
  const isPng = meta.hasAlpha || format === 'png' || format === 'gif';
  const pipeline = sharp(bytes, options)
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .timeout({ seconds: timeoutSeconds });
  const { data, info } = await (isPng ? pipeline.png() : pipeline.jpeg({ quality: 80 })).toBuffer({
    resolveWithObject: true,
  });
  return {
    data,
    contentType: isPng ? 'image/png' : 'image/jpeg',
    width: info.width,
    height: info.height,
  };
}

/**
 * The whole source, once `check` has approved its first IMAGE_HEAD_BYTES (or all of a shorter
 * one); null when `check` says no, without reading further, or when it is over `maxBytes`.
 */
async function readChecked(
  source: Readable | Buffer,
  check: (head: Buffer) => ImageFormat | null,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Buffer; format: ImageFormat } | null> {
  if (Buffer.isBuffer(source)) {
    const format = source.length <= maxBytes && check(source.subarray(0, IMAGE_HEAD_BYTES));
    return format ? { bytes: source, format } : null;
  }
  if (signal) addAbortSignal(signal, source);
  const chunks: Buffer[] = [];
  let length = 0;
  let format: ImageFormat | null | undefined;
  try {
    // Leaving the loop early (return or throw) destroys the source: nothing more is read.
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk)
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(bytes);
      length += bytes.length;
      if (format === undefined && length >= IMAGE_HEAD_BYTES) {
        format = check(Buffer.concat(chunks, length));
        if (!format) return null;
      }
      if (length > maxBytes) return null;
    }
  } finally {
    source.destroy();
  }
  const bytes = Buffer.concat(chunks, length);
  format ??= check(bytes);
  return format && { bytes, format };
}

// ---------------------------------------------------------------------------------------------
// File names and Content-Disposition

/**
 * Characters a name never keeps: C0 and C1 controls and DEL; bidi embeddings, overrides,
 * isolates and marks (which make `gpj.exe` read as `exe.jpg`); invisible characters that let
 * two names look the same (soft hyphen, zero width space, word joiner, BOM, Mongolian vowel
 * separator, invisible operators, deprecated format characters, interlinear annotations); and
 * the line and paragraph separators. ZWJ and ZWNJ stay: emoji sequences and scripts need them.
 */
const UNWANTED_CHARS =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]/gu;

/** Names are cut at this many UTF-8 bytes (the limit of common file systems). */
const MAX_NAME_BYTES = 255;

/**
 * A safe file name from what a client sent: the last segment of a `/` or `\` path, without
 * control, bidi or invisible characters, NFC, without spaces or dots at either end, at most 255
 * UTF-8 bytes (cut between user-perceived characters, keeping the extension). `fallback` when
 * nothing is left or the name is `.` or `..`.
 *
 * @example cleanFileName('C:\\Users\\me\\invoice\u202Efdp.exe') // 'invoicefdp.exe'
 */
export function cleanFileName(raw: string | undefined, fallback = 'file'): string {
  if (raw === undefined) return fallback;
  const text = raw.toWellFormed().replace(UNWANTED_CHARS, '').normalize('NFC');
  const name = trimName(text.split(/[/\\]/).at(-1) ?? '');
  if (name === '' || name === '.' || name === '..') return fallback;
  return capBytes(name) || fallback;
}

function trimName(name: string): string {
  return name.replace(/^[\s.]+|[\s.]+$/gu, '');
}

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** `name` cut to MAX_NAME_BYTES, its extension kept; empty when nothing sensible is left. */
function capBytes(name: string): string {
  if (utf8Length(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && utf8Length(name.slice(dot)) <= 32 ? name.slice(dot) : '';
  const stem = extension ? name.slice(0, dot) : name;
  const budget = MAX_NAME_BYTES - utf8Length(extension);
  const graphemes = Array.from(new Intl.Segmenter().segment(stem), (s) => s.segment);
  // A single grapheme over the budget (a letter under hundreds of marks) is cut by code point.
  const kept = trimName(takeBytes(graphemes, budget) || takeBytes(stem, budget));
  return kept && kept + extension;
}

/** The longest run of `parts`, from the start, within `budget` UTF-8 bytes. */
function takeBytes(parts: Iterable<string>, budget: number): string {
  let kept = '';
  let bytes = 0;
  for (const part of parts) {
    bytes += utf8Length(part);
    if (bytes > budget) break;
    kept += part;
  }
  return kept;
}

/**
 * A Content-Disposition header for `name`: an ASCII `filename` for old clients (accents
 * dropped, other non-ASCII and `"`, `\`, `%` as `_`) and the exact name as RFC 8187
 * `filename*`. The name is cleaned with {@link cleanFileName} first.
 *
 * @example contentDisposition('attachment', 'résumé.pdf')
 * // `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const clean = cleanFileName(name);
  const ascii = clean
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7E]|["\\%]/g, '_');
  // encodeURIComponent leaves ' ( ) * unescaped, which RFC 8187's attr-char does not allow.
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
