import { useCallback, useMemo, useRef, type RefObject } from 'react';
import { describe } from '../failures.js';
import { chooseFile, completePath, PathError, type PathContext } from '../files/paths.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

export interface AttachCommands {
  /** Tab: completes the prompt's path from its folder (and lists what else matches). */
  complete: () => Promise<void>;
  /** Enter: the file at the prompt's path joins the chat's chosen files. */
  choose: () => Promise<void>;
}

/** The path prompt's commands (Ctrl+O): they read the disk, so they live here, not in the reducer. */
export function useAttachCommands(
  stateRef: RefObject<State>,
  dispatch: Dispatch,
  paths: PathContext,
): AttachCommands {
  const ref = useRef({ stateRef, dispatch, paths });
  ref.current = { stateRef, dispatch, paths };

  const complete = useCallback(async () => {
    const { stateRef, dispatch, paths } = ref.current;
    const dialog = stateRef.current.dialog;
    if (dialog?.kind !== 'attach') return;
    const typed = dialog.path.text;
    try {
      const { text, candidates } = await completePath(typed, paths);
      dispatch({ type: 'attachCompleted', path: typed, text, candidates });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const error = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such folder' : describe(err);
      dispatch({ type: 'attachFailed', error });
    }
  }, []);

  const choose = useCallback(async () => {
    const { stateRef, dispatch, paths } = ref.current;
    const dialog = stateRef.current.dialog;
    if (dialog?.kind !== 'attach' || dialog.isBusy) return;
    dispatch({ type: 'attachBusy' });
    try {
      const file = await chooseFile(dialog.path.text, paths);
      dispatch({ type: 'attachAdded', key: dialog.key, file });
    } catch (err) {
      dispatch({
        type: 'attachFailed',
        error: err instanceof PathError ? err.message : describe(err),
      });
    }
  }, []);

  return useMemo(() => ({ complete, choose }), [complete, choose]);
}
