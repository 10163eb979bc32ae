// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
/** Starts the TUI on a terminal and resolves when the user quits. */
import { configPath, FileOperationIds, fileTokenStore, operationIdsDir } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { render } from 'ink';
import { App } from './components/App.js';
import { ErrorBoundary } from './components/ErrorBoundary.js';
import type { TuiOptions } from './options.js';
import { KittyImages } from './preview/kitty.js';
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE } from './state/chunks.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN } from './terminal.js';

export interface RunEnvironment {
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Runs `msgr-tui` full-screen (the alternate screen, so the shell's scrollback is left as it
 * was) until Ctrl+C.
 *
 * @example await runTui(options); // options from parseCommandLine()
 */
export async function runTui(
  options: TuiOptions,
  { env = process.env, stdin = process.stdin, stdout = process.stdout }: RunEnvironment = {},
): Promise<void> {
  const configFile = configPath(env);
  const write = (data: string): void => {
    stdout.write(data);
  };
  // Tokens and operation ids are shared with `msgr` through the files beside the config.
  const operationIds = new FileOperationIds(operationIdsDir(configFile));
  const createClient = (hosts: string[]): MessengerClient =>
    new MessengerClient({ hosts, tokenStore: fileTokenStore(configFile), operationIds });
  // Previews drawn with kitty graphics: the images sent, deleted when the TUI leaves.
  const kittyImages = options.imageProtocol === 'kitty' ? new KittyImages() : undefined;
  if (stdout.isTTY) write(ENTER_ALT_SCREEN + ENABLE_BRACKETED_PASTE);
  const instance = render(
    <ErrorBoundary>
      <App
        options={options}
        configFile={configFile}
        env={env}
        createClient={createClient}
        write={write}
        kittyImages={kittyImages}
      />
    </ErrorBoundary>,
    // At most 30 frames a second, each written inside a synchronized update (DEC 2026), so
    // terminals that know it never show half a frame. Not `incrementalRendering`: in Ink 6.8
    // it drifts one row per frame when the frame ends with a newline (seen in tmux).
    { stdin, stdout, maxFps: 30 },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    // The images go first, while the alternate screen (where they live) is still the one shown;
    // none is sent after this.
    const images = kittyImages?.close() ?? '';
    if (stdout.isTTY) write(images + DISABLE_BRACKETED_PASTE + LEAVE_ALT_SCREEN);
  }
}
