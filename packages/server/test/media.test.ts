import { expect } from 'chai';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import {
  HEAD_BYTES,
  IMAGE_HEAD_BYTES,
  IMAGE_TYPES,
  MAX_INPUT_PIXELS,
  THUMBNAIL_SIZE,
  cleanFileName,
  contentDisposition,
  detectContentType,
  imageSize,
  makeThumbnail,
} from '../src/domain/media.js';
import {
  EXIF_SECRETS,
  FRAME_COLOURS,
  HOSTILE_FILE_NAMES,
  animatedGif,
  animatedWebp,
  brokenPixelsPng,
  corruptPng,
  emptyFile,
  gifHtmlPolyglot,
  gifImage,
  htmlWithScript,
  jpegBomb,
  jpegImage,
  jpegWithExif,
  latin1Text,
  pngBomb,
  pngImage,
  svgWithScript,
  textCutMidCharacter,
  textLikeSignatures,
  utf8Text,
  webpImage,
  zipFile,
} from './support/media-fixtures.js';

const head = (file: Buffer) => file.subarray(0, HEAD_BYTES);

/** A stream of `file` in small chunks that records how much of it was pulled. */
function chunked(file: Buffer, { chunkBytes = 4096, tail = 0 } = {}) {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (let at = 0; at < file.length + tail; at += chunkBytes) {
        const chunk = Buffer.alloc(chunkBytes);
        if (at < file.length) file.copy(chunk, 0, at, at + chunkBytes);
        pulled += chunkBytes;
        yield chunk.subarray(0, Math.min(chunkBytes, file.length + tail - at));
      }
    })(),
  );
  return { stream, pulled: () => pulled };
}

describe('media: detectContentType', () => {
  it('when the bytes are PNG, JPEG, GIF or WebP then it names the image type', async () => {
    expect(await detectContentType(head(await pngImage()))).to.equal('image/png');
    expect(await detectContentType(head(await jpegImage()))).to.equal('image/jpeg');
    expect(await detectContentType(head(await gifImage()))).to.equal('image/gif');
    expect(await detectContentType(head(await webpImage()))).to.equal('image/webp');
    expect(await detectContentType(head(await animatedWebp()))).to.equal('image/webp');
  });

  it('when the bytes are a zip then application/zip', async () => {
    expect(await detectContentType(zipFile())).to.equal('application/zip');
  });

  it('when the bytes are HTML with a script then text/html, which is no image', async () => {
    const type = await detectContentType(htmlWithScript());
    expect(type).to.equal('text/html');
    expect(IMAGE_TYPES.has(type)).to.be.false;
  });

  it('when the bytes are an SVG with a script after an XML prolog then image/svg+xml, which gets no thumbnail', async () => {
    const type = await detectContentType(svgWithScript());
    expect(type).to.equal('image/svg+xml');
    expect(IMAGE_TYPES.has(type)).to.be.false;
    expect(
      await detectContentType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')),
    ).to.equal('image/svg+xml');
  });

  it('when XML is neither SVG nor XHTML then application/xml, and XHTML is text/html', async () => {
    expect(await detectContentType(Buffer.from('<?xml version="1.0"?><feed/>'))).to.equal(
      'application/xml',
    );
    const xhtml = '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>';
    expect(await detectContentType(Buffer.from(xhtml))).to.equal('text/html');
  });

  it('when the file is empty then application/octet-stream', async () => {
    expect(await detectContentType(emptyFile())).to.equal('application/octet-stream');
  });

  it('when the bytes are UTF-8 text then text/plain with its charset', async () => {
    expect(await detectContentType(utf8Text())).to.equal('text/plain; charset=utf-8');
  });

  it('when the head cuts the last character in two then it is still text', async () => {
    expect(await detectContentType(textCutMidCharacter())).to.equal('text/plain; charset=utf-8');
  });

  it('when the bytes are not UTF-8 or hold NUL then application/octet-stream', async () => {
    expect(await detectContentType(latin1Text())).to.equal('application/octet-stream');
    const withNul = Buffer.concat([Buffer.from('hello'), Buffer.from([0]), Buffer.from('world')]);
    expect(await detectContentType(withNul)).to.equal('application/octet-stream');
    const invalidInside = Buffer.concat([Buffer.from([0xe2, 0x82]), Buffer.from(' and more')]);
    expect(await detectContentType(invalidInside)).to.equal('application/octet-stream');
  });

  it('when text starts like a binary signature then it is still text', async () => {
    for (const text of textLikeSignatures()) {
      expect(await detectContentType(text), text.toString()).to.equal('text/plain; charset=utf-8');
    }
  });

  it('when a text format file-type knows (PDF) is all ASCII then its own type', async () => {
    expect(await detectContentType(Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'))).to.equal(
      'application/pdf',
    );
  });

  it('when a GIF signature is followed by HTML then image/gif, never text/html', async () => {
    const file = gifHtmlPolyglot();
    expect(await detectContentType(file)).to.equal('image/gif');
    expect(imageSize(file, 'image/gif')).to.deep.equal({ width: 1, height: 1 });
  });
});

describe('media: imageSize', () => {
  it('when given a PNG, JPEG, GIF or WebP then its width and height', async () => {
    const size = { width: 123, height: 45 };
    expect(imageSize(await pngImage(size), 'image/png')).to.deep.equal(size);
    expect(imageSize(await jpegImage(size), 'image/jpeg')).to.deep.equal(size);
    expect(imageSize(await gifImage(size), 'image/gif')).to.deep.equal(size);
    expect(imageSize(await webpImage(size), 'image/webp')).to.deep.equal(size);
    const lossless = await webpImage({ ...size, isLossless: true });
    expect(lossless.toString('latin1', 12, 16)).to.equal('VP8L');
    expect(imageSize(lossless, 'image/webp')).to.deep.equal(size);
    const withAlpha = await webpImage({ ...size, hasAlpha: true });
    expect(withAlpha.toString('latin1', 12, 16)).to.equal('VP8X');
    expect(imageSize(withAlpha, 'image/webp')).to.deep.equal(size);
    expect(imageSize(await animatedGif(), 'image/gif')).to.deep.equal({ width: 40, height: 30 });
    expect(imageSize(await animatedWebp(), 'image/webp')).to.deep.equal({ width: 40, height: 30 });
  });

  it('when given only the head of a large image then its size', async () => {
    const photo = await jpegImage({ width: 2000, height: 1500, isNoisy: true });
    expect(photo.length).to.be.above(IMAGE_HEAD_BYTES);
    const png = await pngImage({ width: 2000, height: 1500, isNoisy: true });
    expect(imageSize(photo.subarray(0, IMAGE_HEAD_BYTES), 'image/jpeg')).to.deep.equal({
      width: 2000,
      height: 1500,
    });
    expect(imageSize(png.subarray(0, 64), 'image/png')).to.deep.equal({
      width: 2000,
      height: 1500,
    });
  });

  it('when a JPEG says it is turned a quarter then the size as shown', async () => {
    expect(imageSize(await jpegWithExif({ orientation: 6 }), 'image/jpeg')).to.deep.equal({
      width: 200,
      height: 400,
    });
    expect(imageSize(await jpegWithExif({ orientation: 3 }), 'image/jpeg')).to.deep.equal({
      width: 400,
      height: 200,
    });
  });

  it('when a PNG bomb claims 100000×100000 then that claim, without decoding', () => {
    const bomb = pngBomb();
    expect(bomb.length).to.be.below(200);
    expect(imageSize(bomb, 'image/png')).to.deep.equal({ width: 100_000, height: 100_000 });
  });

  it('when a JPEG bomb claims 60000×60000 then that claim', async () => {
    expect(imageSize(await jpegBomb(), 'image/jpeg')).to.deep.equal({
      width: 60_000,
      height: 60_000,
    });
  });

  it('when the type is no image we thumbnail then null', async () => {
    expect(imageSize(svgWithScript(), 'image/svg+xml')).to.be.null;
    expect(imageSize(await pngImage(), 'application/octet-stream')).to.be.null;
    expect(imageSize(await pngImage(), 'image/jpeg')).to.be.null; // the bytes disagree
  });

  it('when the header is garbage or cut short then null', async () => {
    expect(imageSize(corruptPng(), 'image/png')).to.be.null;
    expect(imageSize((await pngImage()).subarray(0, 20), 'image/png')).to.be.null;
    expect(imageSize((await jpegImage()).subarray(0, 100), 'image/jpeg')).to.be.null;
    expect(imageSize((await gifImage()).subarray(0, 8), 'image/gif')).to.be.null;
    expect(imageSize((await webpImage()).subarray(0, 24), 'image/webp')).to.be.null;
    expect(imageSize(Buffer.from([0xff, 0xd8, 0xff, 0xff, 0xff]), 'image/jpeg')).to.be.null;
    expect(imageSize(emptyFile(), 'image/png')).to.be.null;
  });
});

describe('media: makeThumbnail', () => {
  it('when a large photo then a JPEG of at most 320×320 with its aspect ratio', async () => {
    const thumb = await makeThumbnail(
      await jpegImage({ width: 1600, height: 1200, isNoisy: true }),
    );
    expect(thumb).to.include({ contentType: 'image/jpeg', width: 320, height: 240 });
    const meta = await sharp(thumb!.data).metadata();
    expect(meta).to.include({ format: 'jpeg', width: 320, height: 240 });
  });

  it('when a tall image then its height is 320 and its width follows', async () => {
    const thumb = await makeThumbnail(await webpImage({ width: 300, height: 3000 }));
    expect(thumb).to.include({ contentType: 'image/jpeg', width: 32, height: THUMBNAIL_SIZE });
  });

  it('when a PNG, even opaque, or an image with alpha then a PNG', async () => {
    const opaque = await makeThumbnail(await pngImage({ width: 640, height: 640 }));
    expect(opaque).to.include({ contentType: 'image/png', width: 320, height: 320 });
    const webpAlpha = await makeThumbnail(
      await webpImage({ width: 640, height: 320, hasAlpha: true }),
    );
    expect(webpAlpha).to.include({ contentType: 'image/png', width: 320, height: 160 });
    expect((await sharp(webpAlpha!.data).metadata()).hasAlpha).to.be.true;
  });

  it('when the image is smaller than a thumbnail then it is not enlarged', async () => {
    const thumb = await makeThumbnail(await jpegImage({ width: 100, height: 50 }));
    expect(thumb).to.include({ width: 100, height: 50 });
  });

  it('when the JPEG carries EXIF then the thumbnail carries no metadata and is turned upright', async () => {
    const photo = await jpegWithExif({ width: 400, height: 200, orientation: 6 });
    const before = await sharp(photo).metadata();
    expect(before.exif?.toString('latin1')).to.include(EXIF_SECRETS.Artist);
    const thumb = await makeThumbnail(photo);
    expect(thumb).to.include({ width: 160, height: 320 });
    const after = await sharp(thumb!.data).metadata();
    expect(after).to.include({ width: 160, height: 320 });
    expect(after.exif).to.be.undefined;
    expect(after.icc).to.be.undefined;
    expect(after.xmp).to.be.undefined;
    expect(after.orientation).to.be.undefined;
    expect(thumb!.data.toString('latin1')).to.not.include(EXIF_SECRETS.Artist);
  });

  it('when the GIF or WebP is animated then the first frame, as a still', async () => {
    for (const [file, type] of [
      [await animatedGif(), 'image/png'],
      [await animatedWebp(), 'image/jpeg'],
    ] as const) {
      const thumb = await makeThumbnail(file);
      expect(thumb).to.include({ contentType: type, width: 40, height: 30 });
      const meta = await sharp(thumb!.data).metadata();
      expect(meta.pages ?? 1).to.equal(1);
      const { data } = await sharp(thumb!.data)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixel = [...data.subarray(0, 3)];
      pixel.forEach((value, i) => expect(value).to.be.closeTo(FRAME_COLOURS[0][i]!, 40));
    }
  });

  it('when a PNG bomb then null at once, without decoding it', async () => {
    const started = performance.now();
    expect(await makeThumbnail(pngBomb())).to.be.null;
    expect(performance.now() - started).to.be.below(1000);
  });

  it('when a JPEG bomb then null', async () => {
    expect(await makeThumbnail(await jpegBomb())).to.be.null;
  });

  it('when a bomb arrives as a stream then null after its head, the rest unread', async () => {
    const { stream, pulled } = chunked(pngBomb(), { tail: 50 * 1024 * 1024 });
    expect(await makeThumbnail(stream)).to.be.null;
    expect(pulled()).to.be.below(IMAGE_HEAD_BYTES + 128 * 1024); // of 50 MiB
    expect(stream.destroyed).to.be.true;
  });

  it('when the header claims more pixels than the limit given then null', async () => {
    const image = await pngImage({ width: 100, height: 100 });
    expect(await makeThumbnail(image, { maxInputPixels: 9_999 })).to.be.null;
    expect(await makeThumbnail(image, { maxInputPixels: 10_000 })).to.not.be.null;
    expect(MAX_INPUT_PIXELS).to.equal(50_000_000);
  });

  it('when the file is over maxInputBytes then null, the rest of a stream unread', async () => {
    const photo = await jpegImage({ width: 400, height: 400, isNoisy: true });
    expect(await makeThumbnail(photo, { maxInputBytes: photo.length - 1 })).to.be.null;
    expect(await makeThumbnail(photo, { maxInputBytes: photo.length })).to.not.be.null;
    const { stream, pulled } = chunked(photo, { chunkBytes: 1000, tail: 10 * 1024 * 1024 });
    expect(await makeThumbnail(stream, { maxInputBytes: 2000 })).to.be.null;
    expect(pulled()).to.be.below(200 * 1000);
    expect(stream.destroyed).to.be.true;
  });

  it('when the image comes as a stream then the same thumbnail', async () => {
    const photo = await jpegImage({ width: 1600, height: 800, isNoisy: true });
    expect(photo.length).to.be.above(IMAGE_HEAD_BYTES);
    const thumb = await makeThumbnail(chunked(photo).stream);
    expect(thumb).to.include({ contentType: 'image/jpeg', width: 320, height: 160 });
    const small = await makeThumbnail(chunked(await gifImage(), { chunkBytes: 7 }).stream);
    expect(small).to.include({ contentType: 'image/png', width: 64, height: 48 });
  });

  it('when the image is corrupt or truncated then null', async () => {
    expect(await makeThumbnail(corruptPng())).to.be.null;
    expect(await makeThumbnail(brokenPixelsPng())).to.be.null;
    const photo = await jpegImage({ width: 800, height: 600, isNoisy: true });
    expect(await makeThumbnail(photo.subarray(0, photo.length / 2))).to.be.null;
  });

  it('when the file is no image we thumbnail then null', async () => {
    for (const file of [svgWithScript(), htmlWithScript(), zipFile(), emptyFile(), utf8Text()]) {
      expect(await makeThumbnail(file)).to.be.null;
    }
    expect(await makeThumbnail(gifHtmlPolyglot())).to.be.null;
    expect(await makeThumbnail(chunked(zipFile()).stream)).to.be.null;
  });

  it('when the source stream fails then its error, not null', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('store unreachable'));
      },
    });
    const error: unknown = await makeThumbnail(broken).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error).with.property('message', 'store unreachable');
  });

  it('when the signal is aborted then it rejects with the abort and stops reading', async () => {
    const { stream } = chunked(await pngImage(), { tail: 10 * 1024 * 1024 });
    const error: unknown = await makeThumbnail(stream, { signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(error).to.have.property('name', 'AbortError');
    expect(stream.destroyed).to.be.true;
  });
});

describe('media: cleanFileName', () => {
  it('when the name is hostile then the clean name of the shared fixtures', () => {
    for (const [raw, clean] of HOSTILE_FILE_NAMES) {
      expect(cleanFileName(raw), JSON.stringify(raw)).to.equal(clean);
    }
  });

  it('when the name is ordinary then it is kept', () => {
    expect(cleanFileName('Résumé 2024 (final).pdf')).to.equal('Résumé 2024 (final).pdf');
    expect(cleanFileName('👨‍👩‍👧 family.jpg')).to.equal('👨‍👩‍👧 family.jpg');
  });

  it('when nothing is left then the fallback', () => {
    expect(cleanFileName(undefined)).to.equal('file');
    expect(cleanFileName('')).to.equal('file');
    expect(cleanFileName('.', 'upload')).to.equal('upload');
    expect(cleanFileName('a/..')).to.equal('file');
    expect(cleanFileName('\u202E\u0000 ')).to.equal('file');
  });

  it('when decomposed then NFC', () => {
    expect(cleanFileName('cafe\u0301.txt')).to.equal('caf\u00e9.txt');
    expect(cleanFileName('cafe\u200B\u0301.txt')).to.equal('caf\u00e9.txt');
  });

  it('when a C1 control, DEL or a lone surrogate then removed or replaced', () => {
    expect(cleanFileName('a\u0085b\u009Bc\u007F.txt')).to.equal('abc.txt');
    expect(cleanFileName('a\uD800b.txt')).to.equal('a\uFFFDb.txt');
  });

  it('when over 255 UTF-8 bytes then cut between characters, the extension kept', () => {
    const name = cleanFileName(`${'é'.repeat(200)}.txt`);
    expect(Buffer.byteLength(name)).to.be.at.most(255);
    expect(name).to.match(/^é+\.txt$/);
    expect(Buffer.byteLength(name)).to.equal(254); // 125 é of 2 bytes, then '.txt'
    const emoji = cleanFileName('👍🏽'.repeat(40));
    expect(Buffer.byteLength(emoji)).to.be.at.most(255);
    expect(emoji).to.equal('👍🏽'.repeat(31)); // 8 bytes each, never half a skin tone
    const longExtension = cleanFileName(`a.${'x'.repeat(300)}`);
    expect(Buffer.byteLength(longExtension)).to.equal(255);
    const oneGrapheme = cleanFileName(`a${'\u0301'.repeat(300)}.txt`);
    expect(Buffer.byteLength(oneGrapheme)).to.be.at.most(255);
    expect(oneGrapheme).to.match(/\.txt$/);
  });
});

describe('media: contentDisposition', () => {
  it('when the name is ASCII then both filename and filename*', () => {
    expect(contentDisposition('attachment', 'report.pdf')).to.equal(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
  });

  it('when the name is not ASCII then an ASCII fallback and the exact name percent-encoded', () => {
    expect(contentDisposition('inline', 'résumé.pdf')).to.equal(
      `inline; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    );
    expect(contentDisposition('attachment', '日本.txt')).to.equal(
      `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
    );
  });

  it('when the name holds quotes, backslashes, percent or RFC 8187 specials then they are escaped', () => {
    const header = contentDisposition('attachment', `it's "50%" (a*b).txt`);
    expect(header).to.equal(
      `attachment; filename="it's _50__ (a*b).txt"; filename*=UTF-8''it%27s%20%2250%25%22%20%28a%2Ab%29.txt`,
    );
    const encoded = /filename\*=UTF-8''(.*)$/.exec(header)![1]!;
    expect(encoded).to.match(/^[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
    expect(decodeURIComponent(encoded)).to.equal(`it's "50%" (a*b).txt`);
  });

  it('when the name carries line breaks, paths or bidi tricks then the header holds none', () => {
    const header = contentDisposition('attachment', '../x\r\nSet-Cookie: a=b\u202Efdp.exe');
    expect(header).to.not.match(/[\r\n\u202E/]/);
    expect(header).to.match(/^attachment; filename="xSet-Cookie: a=bfdp.exe"; filename\*=/);
  });
});
