import type { Connection } from '@connector/persistence';
import type { Directory } from './connection-sync';

/** What a directory is read by: the connection's id and tenant. */
export type DirectoryOwner = Pick<Connection, 'id' | 'tenantId'>;

/**
 * Reads the directories of several connections from the store (together, in as few reads as it can), each of at
 * most `limit` entries of each kind (more: incomplete).
 */
export type DirectoryLoader = (connections: DirectoryOwner[], limit: number) => Promise<Map<string, Directory>>;

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

  of(connection: DirectoryOwner): Promise<Directory> {
    return this.ofAll([connection]).get(connection.id)!;
  }

  /** The directories of these connections: the ones not in memory are read together, in one load. */
  ofAll(connections: DirectoryOwner[]): Map<string, Promise<Directory>> {
    const result = new Map<string, Promise<Directory>>();
    const missing: DirectoryOwner[] = [];
    for (const connection of connections) {
      if (result.has(connection.id)) continue;
      const held = this.held.get(connection.id);
      if (held) {
        this.held.delete(connection.id);
        this.held.set(connection.id, held);
        result.set(connection.id, held.directory);
      } else if (!missing.some((m) => m.id === connection.id)) {
        missing.push(connection);
      }
    }
    if (missing.length === 0) return result;
    const loaded = this.load(missing, this.budget);
    for (const { id } of missing) {
      const entry: Held = { directory: loaded.then((directories) => directories.get(id) ?? { complete: false, contacts: new Map(), accounts: new Map() }) };
      this.held.set(id, entry);
      result.set(id, entry.directory);
      entry.directory.then(
        (directory) => this.settle(id, entry, directory),
        () => { if (this.held.get(id) === entry) this.held.delete(id); },
      );
    }
    return result;
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

  private settle(connectionId: string, entry: Held, directory: Directory): void {
    if (this.held.get(connectionId) !== entry) return;
    if (entry.stale) directory.complete = false;
    entry.settled = { directory, weight: 1 + directory.contacts.size + directory.accounts.size };
    this.weight += entry.settled.weight;
    this.makeRoom(connectionId);
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
