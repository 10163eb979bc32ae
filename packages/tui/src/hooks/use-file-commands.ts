import type { FileObject, MessengerClient } from '@msgr/sdk';
import fs from 'node:fs/promises';
import { useCallback, useEffect, useRef } from 'react';
import { describe, isSessionGone } from '../failures.js';
import { openFile } from '../files/opener.js';
import { shortPath, type PathContext } from '../files/paths.js';
import { cleanFileName, downloadFolder, saveDownload } from '../files/save.js';
import { throttle } from '../throttle.js';
import { humanSize } from '@msgr/safe-text';
import type { Dispatch } from './use-store.js';

/** Progress reaches the status bar at most this often (ms). */
const PROGRESS_EVERY_MS = 150;

export interface FileSettings extends PathContext {
  /** `$MSGR_DOWNLOAD_DIR`, if set. */
  downloadDir: string | undefined;
  /** The program that opens a saved file. */
  opener: string;
}

/**
 * `s` and `o` on a picked message's file: save it in the download folder (progress and the
 * path it got in the status bar), and for `o` open it with the opener. A file saved once in
 * this session is opened from where it went rather than saved again.
 */
export function useFileCommands(
  client: MessengerClient | undefined,
  dispatch: Dispatch,
  settings: FileSettings,
): (file: FileObject, isOpening: boolean) => Promise<void> {
  const ref = useRef({ client, dispatch, settings });
  ref.current = { client, dispatch, settings };
  const saving = useRef(new Set<string>());
  const saved = useRef(new Map<string, string>());
  const stop = useRef(new AbortController());

  useEffect(() => {
    const controller = stop.current;
    return () => controller.abort();
  }, []);

  const open = useCallback(async (target: string) => {
    const { dispatch, settings } = ref.current;
    const shown = shortPath(target, settings.home);
    try {
      await openFile(settings.opener, target);
      dispatch({ type: 'notice', text: `Opened ${shown} with ${settings.opener}` });
    } catch (err) {
      const text = `${shown} is saved, but ${settings.opener} did not start: ${describe(err)}`;
      dispatch({ type: 'notice', text, isError: true });
    }
  }, []);

  return useCallback(
    async (file: FileObject, isOpening: boolean) => {
      const { client, dispatch, settings } = ref.current;
      if (!client) return;
      if (saving.current.has(file.id)) {
        dispatch({ type: 'notice', text: `${file.name} is on its way already` });
        return;
      }
      const earlier = saved.current.get(file.id);
      if (earlier && (await fs.stat(earlier).catch(() => undefined))?.size === file.size) {
        if (isOpening) return open(earlier);
        const text = `Saved already: ${shortPath(earlier, settings.home)}`;
        dispatch({ type: 'notice', text });
        return;
      }
      saving.current.add(file.id);
      const signal = stop.current.signal;
      const progress = throttle((received: number, total: number) => {
        const percent = total > 0 ? `${Math.floor((100 * received) / total)}% · ` : '';
        const of = total > 0 ? ` of ${humanSize(total)}` : '';
        const text = `⇣ ${file.name} ${percent}${humanSize(received)}${of}`;
        dispatch({ type: 'notice', text });
      }, PROGRESS_EVERY_MS);
      try {
        const folder = await downloadFolder(settings.downloadDir, settings);
        progress(0, file.size);
        const download = await client.download(file.id, { signal });
        const target = await saveDownload(download, folder, cleanFileName(file.name), {
          signal,
          onProgress: progress,
        });
        progress.cancel();
        saved.current.set(file.id, target);
        dispatch({ type: 'notice', text: `Saved ${shortPath(target, settings.home)}` });
        if (isOpening) await open(target);
      } catch (err) {
        if (signal.aborted) return;
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else dispatch({ type: 'notice', text: `not saved: ${describe(err)}`, isError: true });
      } finally {
        progress.cancel();
        saving.current.delete(file.id);
      }
    },
    [open],
  );
}
