/** Retained streaming events per channel, with replay ids, and live listeners (the CometD server's subscriptions). */

export interface StreamEvent {
  channel: string;
  replayId: number;
  publishedAt: number;
  data: Record<string, unknown>;
}

export type Listener = (event: StreamEvent) => void;

interface ChannelLog {
  events: StreamEvent[];
  head: number; // index of the oldest retained event in `events`
  lastReplayId: number;
  listeners: Set<Listener>;
}

export interface EventBusOptions {
  /** How long events stay replayable (Salesforce: 72 h for CDC). */
  retentionMs: number;
  /** A memory bound: older events beyond it count as expired. */
  maxEventsPerChannel: number;
}

export class ReplayIdInvalid extends Error {}

export class EventBus {
  private readonly channels = new Map<string, ChannelLog>();

  constructor(private readonly options: EventBusOptions) {}

  declare(channel: string): void {
    if (!this.channels.has(channel)) {
      // Start replay ids at an arbitrary point: clients must not assume they start at 1.
      this.channels.set(channel, { events: [], head: 0, lastReplayId: 1000 + Math.floor(Math.random() * 1000), listeners: new Set() });
    }
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  channelNames(): string[] {
    return [...this.channels.keys()];
  }

  publish(channel: string, build: (replayId: number) => Record<string, unknown>): StreamEvent {
    this.declare(channel);
    const log = this.channels.get(channel)!;
    // Replay ids increase but are not contiguous, as in Salesforce.
    log.lastReplayId += 1 + (log.lastReplayId % 3 === 0 ? 1 : 0);
    const event: StreamEvent = { channel, replayId: log.lastReplayId, publishedAt: Date.now(), data: build(log.lastReplayId) };
    log.events.push(event);
    this.trim(log);
    for (const listener of log.listeners) listener(event);
    return event;
  }

  subscribe(channel: string, listener: Listener): () => void {
    this.declare(channel);
    const log = this.channels.get(channel)!;
    log.listeners.add(listener);
    return () => log.listeners.delete(listener);
  }

  /**
   * Retained events after a replay position: -1 = none (tip), -2 = all retained, N = after N, where N must be a
   * retained event's id (an unknown or expired N is refused, as Salesforce does).
   */
  replay(channel: string, from: number): StreamEvent[] {
    const log = this.channels.get(channel);
    if (!log) return [];
    this.trim(log);
    if (from === -1) return [];
    const retained = log.events.slice(log.head);
    if (from === -2) return retained;
    const index = retained.findIndex((e) => e.replayId === from);
    if (index < 0) throw new ReplayIdInvalid(String(from));
    return retained.slice(index + 1);
  }

  /** The replay id of the channel's newest event (or where its ids start, before any). */
  tipReplayId(channel: string): number {
    this.declare(channel);
    return this.channels.get(channel)!.lastReplayId;
  }

  /** Test control: everything published before now is no longer replayable. */
  expireAll(): void {
    for (const log of this.channels.values()) {
      log.head = log.events.length;
      this.compact(log);
    }
  }

  retainedCount(channel: string): number {
    const log = this.channels.get(channel);
    return log ? log.events.length - log.head : 0;
  }

  reset(): void {
    for (const log of this.channels.values()) {
      log.events = [];
      log.head = 0;
    }
  }

  private trim(log: ChannelLog): void {
    const cutoff = Date.now() - this.options.retentionMs;
    while (log.head < log.events.length && (log.events[log.head].publishedAt < cutoff || log.events.length - log.head > this.options.maxEventsPerChannel)) {
      log.head++;
    }
    this.compact(log);
  }

  private compact(log: ChannelLog): void {
    if (log.head > 10_000 && log.head > log.events.length / 2) {
      log.events = log.events.slice(log.head);
      log.head = 0;
    }
  }
}
