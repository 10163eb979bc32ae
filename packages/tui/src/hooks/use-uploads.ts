import type { FileObject, MessengerClient } from '@msgr/sdk';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { describe, isAbort, isSessionGone } from '../failures.js';
import { throttle } from '../throttle.js';
import type { ChatState } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Progress reaches the screen at most this often (ms); the latest always does. */
const PROGRESS_EVERY_MS = 100;

export interface Uploads {
  /**
   * Uploads the chat's chosen files that are not up yet, one after the other, and resolves to
   * all of them; undefined when cancelled (Esc) or failed (said in the status bar). What went up
   * stays up: sending again uploads only the rest.
   */
  upload: (chat: ChatState) => Promise<FileObject[] | undefined>;
  /** Esc: stops chat `key`'s upload (the SDK asks the server to drop what it received). */
  cancel: (key: string) => void;
}

export function useUploads(client: MessengerClient | undefined, dispatch: Dispatch): Uploads {
  const ref = useRef({ client, dispatch });
  ref.current = { client, dispatch };
  const running = useRef(new Map<string, AbortController>());

  // Quitting stops every upload.
  useEffect(() => {
    const all = running.current;
    return () => {
      for (const controller of all.values()) controller.abort();
    };
  }, []);

  const upload = useCallback(async (chat: ChatState) => {
    const { client, dispatch } = ref.current;
    if (!client || running.current.has(chat.key)) return undefined;
    const { key } = chat;
    const controller = new AbortController();
    running.current.set(key, controller);
    const done: FileObject[] = [];
    try {
      for (const [index, chosen] of (chat.files ?? []).entries()) {
        if (chosen.file) {
          done.push(chosen.file);
          continue;
        }
        const progress = throttle((sent: number, total: number) => {
          dispatch({ type: 'uploadProgress', key, index, sent, total });
        }, PROGRESS_EVERY_MS);
        progress(0, chosen.size);
        let file: FileObject;
        try {
          file = await client.upload(chosen.path, {
            name: chosen.name,
            signal: controller.signal,
            onProgress: progress,
          });
        } finally {
          progress.cancel();
        }
        dispatch({ type: 'fileUploaded', key, index, file });
        done.push(file);
      }
      return done;
    } catch (err) {
      if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
      else if (controller.signal.aborted || isAbort(err)) dispatch({ type: 'uploadStopped', key });
      else dispatch({ type: 'uploadStopped', key, error: `not uploaded: ${describe(err)}` });
      return undefined;
    } finally {
      running.current.delete(key);
    }
  }, []);

  const cancel = useCallback((key: string) => {
    running.current.get(key)?.abort();
  }, []);

  return useMemo(() => ({ upload, cancel }), [upload, cancel]);
}
