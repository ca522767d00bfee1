import mongoose, { Connection } from 'mongoose';
import type { Logger } from 'pino';

export interface MongoConnectOptions {
  uri: string;
  /** How many times to try before giving up (the store may still be starting). */
  attempts: number;
  delayMs?: number;
  serverSelectionTimeoutMs?: number;
  /** Operations in flight at once (the driver's pool); DEFAULT_MAX_POOL_SIZE when not given. */
  maxPoolSize?: number;
}

/**
 * Operations one process has in flight at once. Kept well under 100 because FerretDB 1.24 (SQLite) deadlocks
 * when 100 updates or deletes of one database run at once (each holds one of its 100 SQLite connections for
 * the query and waits for another to write); the apps of a deployment together stay under that.
 */
export const DEFAULT_MAX_POOL_SIZE = 16;

/** The URI without credentials, for logs and errors. */
export function safeMongoUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Connects with retries; when the store stays unreachable, fails with one clear line naming where it looked.
 * Indexes are created explicitly by each repository (autoIndex off), so a failure there is reported too.
 */
export async function connectMongo(options: MongoConnectOptions, logger: Logger): Promise<Connection> {
  const delay = options.delayMs ?? 1000;
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    const connection = mongoose.createConnection(options.uri, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 3000,
      maxPoolSize: options.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE,
      autoIndex: false,
      autoCreate: true,
      monitorCommands: true, // observeStoreCommands counts them
    });
    try {
      await connection.asPromise();
      logger.info({ uri: safeMongoUri(options.uri), attempt }, 'connected to MongoDB');
      return connection;
    } catch (error) {
      lastError = error;
      await connection.close(true).catch(() => undefined);
      if (attempt < options.attempts) {
        logger.warn({ uri: safeMongoUri(options.uri), attempt, of: options.attempts }, 'MongoDB not reachable yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`MongoDB unreachable at ${safeMongoUri(options.uri)} after ${options.attempts} attempts: ${reason}`);
}

export async function pingMongo(connection: Connection): Promise<void> {
  if (!connection.db) throw new Error('not connected');
  await connection.db.admin().ping();
}
