// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import type { Dialog } from '../state/types.js';
import { HelpOverlay } from './HelpOverlay.js';
import { NewChatDialog } from './NewChatDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';

export interface DialogsProps {
  dialog: Dialog;
  width: number;
  height: number;
}

/** Whichever dialog is open, in place of the list and the pane. */
export function Dialogs({ dialog, width, height }: DialogsProps) {
  switch (dialog.kind) {
    case 'help':
      return <HelpOverlay width={width} height={height} />;
    case 'direct':
      return <NewChatDialog dialog={dialog} width={width} height={height} />;
    case 'group':
      return <NewGroupDialog dialog={dialog} width={width} height={height} />;
  }
}
