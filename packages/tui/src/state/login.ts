/** The login screen's part of the reducer. */
import { EMPTY_FIELD, fieldOf } from './field.js';
import type { Action, LoginFieldName, LoginForm, State } from './types.js';

const FIELDS: LoginFieldName[] = ['email', 'password', 'hosts'];

export function emptyLogin(): LoginForm {
  return {
    email: EMPTY_FIELD,
    password: EMPTY_FIELD,
    hosts: EMPTY_FIELD,
    field: 'email',
    isBusy: false,
  };
}

type LoginAction = Extract<
  Action,
  {
    type:
      | 'loginNeeded'
      | 'loginField'
      | 'loginStarted'
      | 'loginFailed'
      | 'sessionReady'
      | 'sessionExpired';
  }
>;

export function applyLogin(state: State, action: LoginAction, initial: () => State): State {
  const login = state.login;
  switch (action.type) {
    case 'loginNeeded': {
      const email = login.email.text ? login.email : fieldOf(action.email ?? '');
      return {
        ...state,
        phase: 'login',
        login: {
          ...login,
          email,
          password: EMPTY_FIELD,
          hosts: fieldOf(action.hosts.join(', ')),
          field: email.text ? 'password' : 'email',
          error: action.error,
          isBusy: false,
        },
      };
    }
    case 'loginField': {
      const at = FIELDS.indexOf(login.field);
      const field =
        action.field ?? FIELDS[(at + (action.delta ?? 1) + FIELDS.length) % FIELDS.length]!;
      return { ...state, login: { ...login, field } };
    }
    case 'loginStarted':
      return { ...state, login: { ...login, isBusy: true, error: undefined } };
    case 'loginFailed':
      return {
        ...state,
        login: { ...login, isBusy: false, error: action.error, field: 'password' },
      };
    case 'sessionReady': {
      // Kept for the login screen, should the session expire.
      const hosts = fieldOf(action.hosts.join(', '));
      const email = action.email ? fieldOf(action.email) : login.email;
      const next = {
        ...login,
        email,
        hosts,
        password: EMPTY_FIELD,
        isBusy: false,
        error: undefined,
      };
      return { ...state, phase: 'main', login: next };
    }
    case 'sessionExpired': {
      // Start over: what we held belongs to a session that is gone.
      const fresh = initial();
      return {
        ...fresh,
        phase: 'login',
        login: {
          ...login,
          password: EMPTY_FIELD,
          field: 'password',
          error: action.error,
          isBusy: false,
        },
      };
    }
  }
}
