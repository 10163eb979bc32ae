/** Composing a message in `$EDITOR`: a temp file, the editor on the terminal, the file read back. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type EditResult = { text: string } | { error: string };

/**
 * Runs `editor` (a shell command line such as `vim` or `code --wait`) on a temp file holding
 * `initial`, and blocks until it exits. The caller owns the terminal around the call.
 */
export function editText(editor: string, initial: string): EditResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msgr-tui-'));
  const file = path.join(dir, 'message.txt');
  try {
    fs.writeFileSync(file, initial, { mode: 0o600 });
    // The shell splits `editor` the way users expect of $EDITOR ("code --wait"); the file
    // goes in as "$1", so no path needs quoting.
    const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'msgr-tui', file], {
      stdio: 'inherit',
    });
    if (result.error) return { error: `${editor}: ${result.error.message}` };
    if (result.status !== 0)
      return { error: `${editor} exited with ${result.status ?? result.signal}` };
    // Editors add a final newline; the message does not want it.
    return { text: fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
