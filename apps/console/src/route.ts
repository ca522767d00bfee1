import { useEffect, useState } from 'react';

/** The console's screens, addressed by the URL's fragment (`#/connections/<id>/log`). */
export type Route =
  | { screen: 'connections' }
  | { screen: 'connection'; id: string; tab: ConnectionTab };

export type ConnectionTab = 'settings' | 'import' | 'log';

export function parseRoute(hash: string): Route {
  const match = /^#\/connections\/([^/]+)(?:\/(settings|import|log))?$/.exec(hash);
  if (match) return { screen: 'connection', id: decodeURIComponent(match[1]), tab: (match[2] as ConnectionTab | undefined) ?? 'settings' };
  return { screen: 'connections' };
}

export function hrefOf(route: Route): string {
  return route.screen === 'connections' ? '#/' : `#/connections/${encodeURIComponent(route.id)}/${route.tab}`;
}

export function go(route: Route): void {
  location.hash = hrefOf(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
