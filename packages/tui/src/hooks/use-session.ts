import { readConfig, resolveHosts, stableClientId, updateConfig } from '@msgr/session';
import type { MessengerClient } from '@msgr/sdk';
import { useCallback, useEffect, useState } from 'react';
import { describe } from '../failures.js';
import type { Dispatch } from './use-store.js';

export interface SessionOptions {
  configFile: string;
  hostFlags: string[];
  env: NodeJS.ProcessEnv;
  /** A client for `hosts` whose tokens live in the config file. */
  createClient: (hosts: string[]) => MessengerClient;
}

export interface Session {
  client: MessengerClient | undefined;
  login: (email: string, password: string, hostsText: string) => Promise<void>;
}

/**
 * The saved login shared with `msgr`: with tokens in the config, straight to the chats;
 * without, the login screen, whose success saves the session for both programs.
 */
export function useSession(options: SessionOptions, dispatch: Dispatch): Session {
  const { configFile, hostFlags, env, createClient } = options;
  const [client, setClient] = useState<MessengerClient>();

  useEffect(() => {
    let isCurrent = true;
    void (async () => {
      try {
        const saved = await readConfig(configFile);
        const hosts = resolveHosts(hostFlags, env, saved);
        if (!isCurrent) return;
        if (saved.tokens) {
          setClient(createClient(hosts));
          dispatch({ type: 'sessionReady', hosts, email: saved.email });
        } else {
          dispatch({ type: 'loginNeeded', hosts, email: saved.email });
        }
      } catch (err) {
        const hosts = resolveHosts(hostFlags, env, {});
        dispatch({ type: 'loginNeeded', hosts, error: `config ${configFile}: ${describe(err)}` });
      }
    })();
    return () => {
      isCurrent = false;
    };
  }, [configFile, hostFlags, env, createClient, dispatch]);

  const login = useCallback(
    async (email: string, password: string, hostsText: string) => {
      const typed = hostsText.split(/[\s,]+/).filter(Boolean);
      const hosts = typed.length > 0 ? typed : resolveHosts(hostFlags, env, {});
      dispatch({ type: 'loginStarted' });
      try {
        const next = createClient(hosts);
        const clientId = await stableClientId(configFile);
        await next.login({ email: email.trim(), password, clientId });
        await updateConfig(configFile, { hosts, email: email.trim() });
        setClient(next);
        dispatch({ type: 'sessionReady', hosts, email: email.trim() });
      } catch (err) {
        dispatch({ type: 'loginFailed', error: describe(err) });
      }
    },
    [configFile, hostFlags, env, createClient, dispatch],
  );

  return { client, login };
}
