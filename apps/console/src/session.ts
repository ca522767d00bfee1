import { readToken, type TokenInfo } from './model/token';

const KEY = 'journy-connector-token';

/** The signed-in token, kept in this tab's session only (gone when the tab closes). */
export interface Session {
  token: string;
  info: TokenInfo;
}

export function loadSession(): Session | null {
  // A ready sign-in link (the local run prints one) carries the token in the fragment, never sent to a server.
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(KEY, given);
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  const token = sessionStorage.getItem(KEY);
  const info = token ? readToken(token) : null;
  return token && info ? { token, info } : null;
}

export function saveSession(token: string): Session | null {
  const info = readToken(token);
  if (!info) return null;
  sessionStorage.setItem(KEY, token.trim());
  return { token: token.trim(), info };
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
