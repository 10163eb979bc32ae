import { useCallback } from 'react';
import type { Notification } from '../state/notifications.js';
import { BELL, desktopNotification, type DesktopNotify } from '../terminal.js';

/** Rings the bell and/or raises a desktop notification, as the options allow. */
export function useNotifier(
  isBellOn: boolean,
  desktopNotify: DesktopNotify,
  write: (data: string) => void,
): (notification: Notification) => void {
  return useCallback(
    (n: Notification) => {
      if (isBellOn) write(BELL);
      if (desktopNotify !== 'off') write(desktopNotification(desktopNotify, n.title, n.body));
    },
    [isBellOn, desktopNotify, write],
  );
}
