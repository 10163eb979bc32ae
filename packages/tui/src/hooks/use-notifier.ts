import fs from 'node:fs';
import { useCallback } from 'react';
import type { Notification } from '../state/notifications.js';
import { BELL, desktopNotification, type DesktopNotify } from '../terminal.js';

/**
 * Rings the bell and/or raises a desktop notification, as the options allow. With `ringLog`
 * (`MSGR_TUI_RING_LOG`, for tests and debugging) each notification also appends a line of JSON
 * to that file — `{"chat_id":…,"message_ids":[…],"bell":true}` — written before the next batch
 * of events is looked at, so a test can tell which messages rang and which did not.
 */
export function useNotifier(
  isBellOn: boolean,
  desktopNotify: DesktopNotify,
  write: (data: string) => void,
  ringLog?: string,
): (notification: Notification) => void {
  return useCallback(
    (n: Notification) => {
      if (isBellOn) write(BELL);
      if (desktopNotify !== 'off') write(desktopNotification(desktopNotify, n.title, n.body));
      if (ringLog) {
        const line = { chat_id: n.chatId, message_ids: n.messageIds, bell: isBellOn };
        try {
          fs.appendFileSync(ringLog, `${JSON.stringify(line)}\n`);
        } catch {
          // A log that cannot be written changes nothing for the user.
        }
      }
    },
    [isBellOn, desktopNotify, write, ringLog],
  );
}
