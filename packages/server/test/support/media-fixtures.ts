/**
 * Files to upload, built in code: ordinary images and documents, and hostile ones (a PNG and a
 * JPEG that claim gigapixels, polyglots, scripts in HTML and SVG, broken images, names that
 * lie). Shared by the unit tests of domain/media.ts and the HTTP tests of uploads.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG chunk: length, type, data and the CRC of type and data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG of ~100 bytes whose IHDR claims `width`×`height` (default
 * 100000×100000, 10 gigapixels of RGB), with one tiny IDAT and IEND.
 */
export function pngBomb({ width = 100_000, height = 100_000 } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

interface ImageOptions {
  width?: number;
  height?: number;
  /** A fourth, half transparent channel. */
  hasAlpha?: boolean;
  /** Random pixels (a larger file, like a photo) instead of one colour. */
  isNoisy?: boolean;
}

function canvas({ width = 64, height = 48, hasAlpha = false, isNoisy = false }: ImageOptions) {
  const channels = hasAlpha ? 4 : 3;
  const background = hasAlpha ? { r: 200, g: 30, b: 30, alpha: 0.5 } : { r: 200, g: 30, b: 30 };
  const noise = isNoisy ? { type: 'gaussian' as const, mean: 128, sigma: 40 } : undefined;
  return sharp({ create: { width, height, channels, background, noise } });
}

/** A PNG of one colour (red, half transparent with `hasAlpha`), 64×48 unless told. */
export function pngImage(options: ImageOptions = {}): Promise<Buffer> {
  return canvas(options).png().toBuffer();
}

/** A JPEG, 64×48 unless told. */
export function jpegImage(options: ImageOptions = {}): Promise<Buffer> {
  return canvas(options).jpeg().toBuffer();
}

/** The secrets {@link jpegWithExif} carries in its EXIF. */
export const EXIF_SECRETS = { Artist: 'Jane Q. Secret', Copyright: 'GPS 48.8584N 2.2945E' };

/**
 * A JPEG with EXIF (Artist, Copyright, and an Orientation; 6 turns it a quarter clockwise, so a
 * 400×200 file shows 200×400).
 */
export function jpegWithExif({ width = 400, height = 200, orientation = 6 } = {}): Promise<Buffer> {
  return canvas({ width, height })
    .jpeg()
    .withMetadata({ orientation })
    .withExifMerge({ IFD0: EXIF_SECRETS })
    .toBuffer();
}

/** A small JPEG whose frame header claims `width`×`height` (default 60000×60000). */
export async function jpegBomb({ width = 60_000, height = 60_000 } = {}): Promise<Buffer> {
  const jpeg = Buffer.from(await jpegImage({ width: 16, height: 16 }));
  for (let at = 2; at < jpeg.length;) {
    const marker = jpeg.readUInt8(at + 1);
    if (marker === 0xc0 || marker === 0xc2) {
      jpeg.writeUInt16BE(height, at + 5);
      jpeg.writeUInt16BE(width, at + 7);
      return jpeg;
    }
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error('no frame header in the JPEG');
}

/** A GIF of one colour, 64×48 unless told. */
export function gifImage(options: ImageOptions = {}): Promise<Buffer> {
  return canvas(options).gif().toBuffer();
}

/** A WebP: lossy, or lossless, or with alpha (then VP8X). 64×48 unless told. */
export function webpImage({
  isLossless = false,
  ...options
}: ImageOptions & { isLossless?: boolean } = {}): Promise<Buffer> {
  return canvas(options).webp({ lossless: isLossless }).toBuffer();
}

/** The colours of the frames of {@link animatedGif} and {@link animatedWebp}: red, then blue. */
export const FRAME_COLOURS = [
  [255, 0, 0],
  [0, 0, 255],
] as const;

function frames(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 3 * FRAME_COLOURS.length);
  FRAME_COLOURS.forEach((colour, frame) => {
    for (let p = 0; p < width * height; p += 1) {
      pixels.set(colour, (frame * width * height + p) * 3);
    }
  });
  const raw = { width, height: height * FRAME_COLOURS.length, channels: 3 as const };
  return sharp(pixels, { raw: { ...raw, pageHeight: height } });
}

/** An animated GIF of two frames (red, then blue), 40×30 each. */
export function animatedGif({ width = 40, height = 30 } = {}): Promise<Buffer> {
  return frames(width, height)
    .gif({ delay: [100, 100], loop: 0 })
    .toBuffer();
}

/** An animated WebP of two frames (red, then blue), 40×30 each. */
export function animatedWebp({ width = 40, height = 30 } = {}): Promise<Buffer> {
  return frames(width, height)
    .webp({ delay: [100, 100], loop: 0 })
    .toBuffer();
}

/** A PNG signature followed by garbage. */
export function corruptPng(): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    Buffer.from('this is not a chunk, just garbage '.repeat(8)),
  ]);
}

/** A PNG whose header is sound but whose pixel data is garbage (IDAT that does not inflate). */
export function brokenPixelsPng({ width = 64, height = 48 } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8);
  header.writeUInt8(2, 9);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.from('not zlib at all, not even close'.repeat(4))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An HTML page that runs a script. */
export const htmlWithScript = (): Buffer =>
  Buffer.from(
    '<!DOCTYPE html>\n<html><head><title>hi</title></head>' +
      '<body><script>fetch("/me").then(r => r.text()).then(alert)</script></body></html>\n',
  );

/** An SVG that runs a script, with the XML prolog and comment an editor writes first. */
export const svgWithScript = (): Buffer =>
  Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generator: Adobe Illustrator 27.0 -->\n' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
      '<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>\n',
  );

/** A GIF signature followed by HTML (a "GIFAR"-style polyglot). */
export const gifHtmlPolyglot = (): Buffer =>
  Buffer.concat([Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'), htmlWithScript()]);

/** A zip archive holding one stored file, `hello.txt`. */
export function zipFile(): Buffer {
  const name = Buffer.from('hello.txt');
  const data = Buffer.from('hello, zip\n');
  const crc = zlib.crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(20, 6); // version needed
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralAt = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8); // entries on this disk
  end.writeUInt16LE(1, 10); // entries
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** A file of no bytes. */
export const emptyFile = (): Buffer => Buffer.alloc(0);

/** UTF-8 text in several scripts. */
export const utf8Text = (): Buffer =>
  Buffer.from('Grüße, Привет, こんにちは, 👋🏽\n\tline two\r\n'.repeat(20));

/** UTF-8 text cut in the middle of a character (the last of its bytes missing). */
export function textCutMidCharacter(): Buffer {
  const text = utf8Text();
  const euro = Buffer.from('€'); // three bytes
  return Buffer.concat([text, euro.subarray(0, 2)]);
}

/** Text in Latin-1, not UTF-8. */
export const latin1Text = (): Buffer => Buffer.from('Grüße aus Köln, café crème\n', 'latin1');

/** Plain text that starts like a binary signature (a BMP's `BM`, a GIF's `GIF87`). */
export const textLikeSignatures = (): Buffer[] => [
  Buffer.from('BM is what the tool prints on error\n'),
  Buffer.from('GIF87 was the first version of the format\n'),
];

/** File names that lie or break things, each with what cleanFileName makes of it. */
export const HOSTILE_FILE_NAMES: readonly (readonly [raw: string, clean: string])[] = [
  ['../../etc/passwd', 'passwd'],
  ['C:\\Windows\\system32\\evil.dll', 'evil.dll'],
  ['invoice\u202Efdp.exe', 'invoicefdp.exe'], // shows as "invoiceexe.pdf"
  ['re\u2066port\u2069.txt', 'report.txt'],
  ['a\u0000b\u0007c\r\nd.txt', 'abcd.txt'],
  ['\u200Bpay\u200Bpal\uFEFF.png', 'paypal.png'],
  ['..', 'file'],
  ['  . ', 'file'],
  ['dir/', 'file'],
  ['...hidden...', 'hidden'],
];
