import type { Connection } from '@connector/persistence';
import type { Directory } from './connection-sync';

/** Reads a connection's directory from the store, of at most `limit` entries of each kind (more: incomplete). */
export type DirectoryLoader = (connection: Connection, limit: number) => Promise<Directory>;

interface Held {
  directory: Promise<Directory>;
  /** Once read: the directory itself and the entries it holds. */
  settled?: { directory: Directory; weight: number };
  /** A link of the connection was forgotten while its directory was being read. */
  stale?: boolean;
}

/**
 * The directories of every connection of the process, within one budget of entries: the least recently used
 * connections' directories are dropped to make room, and read again from the store when they are next needed.
 * A connection whose links alone pass the budget gets an incomplete directory, so its batches read the store.
 */
export class Directories {
  /** In order of use, oldest first. */
  private readonly held = new Map<string, Held>();
  private weight = 0;

  constructor(private readonly budget: number, private readonly load: DirectoryLoader) {}

  of(connection: Connection): Promise<Directory> {
    const connectionId = connection.id;
    const held = this.held.get(connectionId);
    if (held) {
      this.held.delete(connectionId);
      this.held.set(connectionId, held);
      return held.directory;
    }
    const entry: Held = { directory: this.load(connection, this.budget) };
    this.held.set(connectionId, entry);
    entry.directory.then(
      (directory) => {
        if (this.held.get(connectionId) !== entry) return;
        if (entry.stale) directory.complete = false;
        entry.settled = { directory, weight: 1 + directory.contacts.size + directory.accounts.size };
        this.weight += entry.settled.weight;
        this.makeRoom(connectionId);
      },
      () => { if (this.held.get(connectionId) === entry) this.held.delete(connectionId); },
    );
    return entry.directory;
  }

  /**
   * The entity cache forgot one of the connection's outbound links: its directory no longer holds them all,
   * so a link missing from memory has to be read from the store.
   */
  linkForgotten(connectionId: string): void {
    const held = this.held.get(connectionId);
    if (held?.settled) held.settled.directory.complete = false;
    else if (held) held.stale = true;
  }

  clear(): void {
    this.held.clear();
    this.weight = 0;
  }

  /** Connections with a directory in memory, and the entries they hold together. */
  get usage(): { connections: number; entries: number } {
    return { connections: this.held.size, entries: this.weight };
  }

  private makeRoom(keep: string): void {
    for (const [connectionId, held] of this.held) {
      if (this.weight <= this.budget) return;
      if (connectionId === keep || !held.settled) continue;
      this.held.delete(connectionId);
      this.weight -= held.settled.weight;
    }
  }
}
