// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import type { Dialog } from '../state/types.js';
import type { DialogView } from '../view/dialog-views.js';
import { AttachDialog } from './AttachDialog.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { HelpOverlay } from './HelpOverlay.js';
import { MembersDialog } from './MembersDialog.js';
import { NewChatDialog } from './NewChatDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';
import { SearchDialog } from './SearchDialog.js';
import { ThreadsDialog } from './ThreadsDialog.js';

export interface DialogsProps {
  dialog: Dialog;
  /** What the search and members dialogs list (`dialogView`). */
  view: DialogView;
  width: number;
  height: number;
}

/** Whichever dialog is open, in place of the list and the pane. */
export function Dialogs({ dialog, view, width, height }: DialogsProps) {
  switch (dialog.kind) {
    case 'help':
      return <HelpOverlay width={width} height={height} />;
    case 'attach':
      return (
        <AttachDialog dialog={dialog} chatTitle={view.chatTitle} width={width} height={height} />
      );
    case 'direct':
      return <NewChatDialog dialog={dialog} width={width} height={height} />;
    case 'group':
      return <NewGroupDialog dialog={dialog} width={width} height={height} />;
    case 'search':
      return <SearchDialog dialog={dialog} found={view.found} width={width} height={height} />;
    case 'members':
      return (
        <MembersDialog
          dialog={dialog}
          groupName={view.groupName}
          members={view.members}
          memberIds={view.memberIds}
          isOwner={view.isOwner}
          width={width}
          height={height}
        />
      );
    case 'confirm':
      return <ConfirmDialog dialog={dialog} width={width} height={height} />;
    case 'threads':
      return <ThreadsDialog dialog={dialog} threads={view.threads} width={width} height={height} />;
  }
}
