/**
 * Opening a saved file with the desktop's program for it: `$MSGR_OPENER`, else `xdg-open`
 * (`open` on macOS). The program is started on its own (detached, no terminal: its output would
 * scribble over the screen) with the path as its one argument, never through a shell, so no
 * name can become a command.
 */
import { spawn } from 'node:child_process';

/** The opener for this platform when `$MSGR_OPENER` is not set. */
export function defaultOpener(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'open' : 'xdg-open';
}

/**
 * Starts `opener` on `file` and resolves once it runs (it is not waited for); rejects when it
 * cannot start (not installed: ENOENT).
 *
 * @example await openFile('xdg-open', '/home/ann/Downloads/report.pdf');
 */
export function openFile(opener: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [file], { detached: true, stdio: 'ignore', shell: false });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
