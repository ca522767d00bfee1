import type { Connection } from 'mongoose';

/** One command the store answered (or refused): its name, the collection it named, how long it took. */
export interface StoreCommand {
  command: string;
  /** The collection the command names (`find: 'recordlinks'`), or '' for commands of no collection (ping, hello). */
  collection: string;
  ms: number;
  ok: boolean;
}

interface StartedEvent { requestId: number; commandName: string; command: Record<string, unknown> }
interface EndedEvent { requestId: number; commandName: string; duration: number }
interface CommandEvents {
  on(event: 'commandStarted', listener: (e: StartedEvent) => void): unknown;
  on(event: 'commandSucceeded' | 'commandFailed', listener: (e: EndedEvent) => void): unknown;
}

/** Driver chatter that is not the app's work: handshakes and server monitoring. */
const NOT_COUNTED = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'saslStart', 'saslContinue', 'endSessions', 'buildInfo', 'buildinfo']);

/**
 * Reports every command an app sends the store, by name and collection, once the store answers it. The
 * connection must be opened with `monitorCommands` (connectMongo does). This is how the store's cost per record
 * is measured: which app sends which command to which collection, how often, and how long each one waits.
 */
export function observeStoreCommands(connection: Connection, report: (command: StoreCommand) => void): void {
  const client = connection.getClient() as unknown as CommandEvents;
  const collections = new Map<number, string>();
  client.on('commandStarted', (e) => {
    if (!NOT_COUNTED.has(e.commandName)) collections.set(e.requestId, collectionOf(e.commandName, e.command));
  });
  const ended = (ok: boolean) => (e: EndedEvent) => {
    const collection = collections.get(e.requestId);
    if (collection === undefined) return;
    collections.delete(e.requestId);
    report({ command: e.commandName, collection, ms: e.duration, ok });
  };
  client.on('commandSucceeded', ended(true));
  client.on('commandFailed', ended(false));
}

/** The collection a command names: the value of its first field when that is the command's own name. */
export function collectionOf(commandName: string, command: Record<string, unknown>): string {
  const named = command[commandName];
  return typeof named === 'string' ? named : '';
}
