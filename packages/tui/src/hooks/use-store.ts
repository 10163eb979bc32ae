import { useCallback, useReducer, useRef, type RefObject } from 'react';
import { initialState, reducer } from '../state/reducer.js';
import type { Action, State } from '../state/types.js';

export type Dispatch = (action: Action) => void;

export interface Store {
  state: State;
  /** The state with every dispatched action applied, even before React renders it. */
  stateRef: RefObject<State>;
  dispatch: Dispatch;
}

/**
 * The app's one reducer. Its `dispatch` also advances `stateRef` at once, so a key press that
 * edits the draft and the Enter right behind it (one read from the terminal) see each other.
 */
export function useStore(start: () => State = initialState): Store {
  const [state, dispatchToReact] = useReducer(reducer, undefined, start);
  const stateRef = useRef(state);
  const renderedRef = useRef(state);
  if (renderedRef.current !== state) {
    renderedRef.current = state;
    stateRef.current = state;
  }
  const dispatch = useCallback((action: Action) => {
    stateRef.current = reducer(stateRef.current, action);
    dispatchToReact(action);
  }, []);
  return { state, stateRef, dispatch };
}
