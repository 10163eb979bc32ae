export { App } from './components/App.js';
export type { AppProps } from './components/App.js';
export { parseCommandLine, USAGE } from './options.js';
export type { ParsedArgs, TuiOptions } from './options.js';
export { runTui } from './run.js';
export type { RunEnvironment } from './run.js';
export { initialState, reducer } from './state/reducer.js';
export type { Action, ChatState, State } from './state/types.js';
