import type { ChangeEvent } from './change-events';

/** Which Salesforce API delivers a connection's change events. */
export type StreamSource = 'pubsub' | 'cometd';

export const STREAM_SOURCES: readonly StreamSource[] = ['pubsub', 'cometd'];

/**
 * Where a subscription starts: the tip, everything retained, or after an event's replay id (opaque text in the
 * delivering source's own encoding: CometD's decimal number, Pub/Sub's bytes as base64).
 */
export type ReplayFrom = 'LATEST' | 'EARLIEST' | { replayId: string };

export type StreamProblem =
  /** The stored replay id is unknown or expired: recover (re-read since the last commit), then subscribe from all retained. */
  | { kind: 'replay-invalid'; channel: string; replayId: string; error: string }
  /** Salesforce refused the session and a refresh did not help (the connection needs reconnecting). */
  | { kind: 'auth'; error: string }
  /** A subscribe failed for another reason (unknown channel, no permission). */
  | { kind: 'subscribe-failed'; channel: string; error: string }
  /** The org cannot use this source at all (Pub/Sub refused for the org): another source should be used. */
  | { kind: 'source-unavailable'; source: StreamSource; error: string }
  /** An event the handler could not process; the stream stops until restarted. */
  | { kind: 'handler-failed'; channel: string; replayId: string; error: unknown };

export interface ChangeStreamOptions {
  channel: string;
  /** Called on every (re)subscribe: the last position whose results are durably stored. */
  replayFrom: () => ReplayFrom;
  /** Events one at a time, in order; the next waits for this one. */
  onEvent: (event: ChangeEvent) => Promise<void>;
  onProblem: (problem: StreamProblem) => void;
  /**
   * Everything delivered so far is handled and the server names a newer position with no event for us in
   * between (a Pub/Sub keepalive): storing it keeps a quiet connection's replay id inside the retention window.
   */
  onIdlePosition?: (replayId: string) => void;
  /** The stream was rebuilt by itself (a dropped or silent stream, a server error): for logs and metrics. */
  onReconnect?: (reason: string, attempt: number) => void;
}

/** A change-event subscription, whatever its transport: what the ingest app's workers hold. */
export interface ChangeStream {
  readonly source: StreamSource;
  /** Resolves once the subscription is open; rejects when Salesforce refuses it. */
  start(): Promise<void>;
  /** Stops delivering; the event being handled finishes first. */
  stop(): Promise<void>;
  /** When Salesforce last answered on this stream (0: never), for health checks of a stuck stream. */
  lastContactTime(): number;
  /** When the last event arrived (0: none yet). */
  lastEventTime(): number;
}
