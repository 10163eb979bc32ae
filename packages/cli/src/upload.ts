/**
 * Uploading local files (`upload`, `send --file`): checked and hashed before any byte leaves,
 * sent resumably (the SDK speaks tus, so a dropped connection continues from the server's
 * offset), and compared with what the server kept.
 */
import { safeLine } from '@msgr/safe-text';
import type { FileObject, FilesConfig } from '@msgr/sdk';
import type { Session } from './client.js';
import { CliError, ExitCode } from './errors.js';
import { humanSize } from '@msgr/safe-text';
import type { LocalFile } from './local-files.js';
import { Progress } from './progress.js';

export interface UploadOptions {
  /** No progress bar. */
  isQuiet?: boolean;
  /** The server's `Idempotency-Key`: the same upload again under it answers the first file. */
  idempotencyKey?: string;
}

/** Uploads `local`; its sha256 must come back as the file's, else the upload is an error. */
export async function uploadLocalFile(
  s: Session,
  local: LocalFile,
  { isQuiet = false, idempotencyKey }: UploadOptions = {},
): Promise<FileObject> {
  const progress = new Progress(s.io.stderr, local.name, local.size, {
    isWanted: !s.out.isJson && !isQuiet,
    signal: s.signal,
  });
  let file: FileObject;
  try {
    file = await s.client.upload(local.path, {
      name: local.name,
      size: local.size,
      signal: s.signal,
      onProgress: (sent) => progress.update(sent),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
  } finally {
    progress.done();
  }
  if (file.sha256 !== local.sha256 || file.size !== local.size) {
    throw new CliError(
      ExitCode.Unexpected,
      'sha256_mismatch',
      `the server holds other bytes than ${local.path} (${humanSize(file.size)}, sha256 ` +
        `${file.sha256}; the file: ${humanSize(local.size)}, ${local.sha256}): did the file ` +
        `change while it was sent? Its upload is file ${file.id}; try again`,
    );
  }
  return file;
}

/**
 * Refuses (exit 4) before anything is sent what the server would refuse after: more files than
 * a message carries, a file over the size limit, more bytes than the quota leaves.
 */
export function checkLimits(files: readonly LocalFile[], config: FilesConfig): void {
  const refuse = (code: string, message: string) => new CliError(ExitCode.Refused, code, message);
  if (files.length > config.attachments_per_message) {
    throw refuse(
      'too_many_attachments',
      `a message carries at most ${config.attachments_per_message} files, not ${files.length}`,
    );
  }
  const tooBig = files.find((f) => f.size > config.upload_max_bytes);
  if (tooBig) {
    throw refuse(
      'payload_too_large',
      `${tooBig.path} holds ${humanSize(tooBig.size)}: the server takes files up to ` +
        humanSize(config.upload_max_bytes),
    );
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (config.quota_bytes > 0 && config.used_bytes + total > config.quota_bytes) {
    const left = Math.max(0, config.quota_bytes - config.used_bytes);
    throw refuse(
      'quota_exceeded',
      `your files may take ${humanSize(config.quota_bytes)} on the server and ` +
        `${humanSize(left)} are left: ${humanSize(total)} do not fit`,
    );
  }
}

/** `id  name  size  type`: the line `upload` prints for a file; safe to print. */
export function fileLine(file: FileObject): string {
  return [file.id, file.name, humanSize(file.size), file.content_type].map(safeLine).join('  ');
}
