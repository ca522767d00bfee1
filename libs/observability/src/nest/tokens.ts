/** Injection token of the app's pino logger. */
export const LOGGER = Symbol('LOGGER');

/** Metadata marking routes that need no caller token (health, liveness, metrics); apps' auth guards honour it. */
export const PUBLIC_ROUTE = 'connector:public-route';
