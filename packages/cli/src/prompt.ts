/**
 * Questions at the terminal (on stderr), and reading `-` from stdin. Never prompts when stdin is
 * not a TTY: a script would hang on a question nobody sees.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { safeLine } from '@msgr/safe-text';
import { CliError, ExitCode, usageError } from './errors.js';
import type { InStream, Io } from './io.js';

export interface AskOptions {
  /** Typed characters are not echoed (passwords). */
  isHidden?: boolean;
  /** Says which option to use instead when there is no TTY. */
  instead: string;
}

/** Whether questions may be asked. */
export function canPrompt(io: Io): boolean {
  return io.stdin.isTTY === true;
}

/** Asks `question` and resolves with the answer line (without its newline). */
export async function ask(
  io: Io,
  untrustedQuestion: string,
  { isHidden = false, instead }: AskOptions,
): Promise<string> {
  // A question may name what a server sent (an email, a name): shown, never executed.
  const question = safeLine(untrustedQuestion);
  if (!canPrompt(io)) {
    throw usageError('no_tty', `stdin is not a terminal, so cannot ask for it: ${instead}`);
  }
  // Readline echoes to its output; a muted one hides the password but keeps line editing.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const output = isHidden ? muted : (io.stderr as unknown as NodeJS.WritableStream);
  const rl = readline.createInterface({ input: io.stdin, output, terminal: true });
  if (isHidden) io.stderr.write(question);
  else {
    rl.setPrompt(question);
    rl.prompt();
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('SIGINT', () =>
        reject(new CliError(ExitCode.Interrupted, 'interrupted', 'interrupted')),
      );
      rl.once('close', () => reject(usageError('no_answer', `no answer given: ${instead}`)));
    });
  } finally {
    rl.close();
    if (isHidden) io.stderr.write('\n');
  }
}

/** All of stdin as text (for `-`), less one trailing newline. */
export async function readStdinText(stdin: InStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
