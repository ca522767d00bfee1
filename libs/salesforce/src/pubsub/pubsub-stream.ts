import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../change-events';
import type { ChangeStream, ChangeStreamOptions, ReplayFrom } from '../change-stream';
import type { SalesforceSession } from '../session';
import type { PubSubChannel } from './pubsub-channel';
import { errorCodeOf, type FetchRequest, type FetchResponse } from './service';

export interface PubSubStreamOptions extends ChangeStreamOptions {
  /** The org id (the `tenantid` header). */
  orgId: string;
  /** Events asked for at a time; Salesforce counts at most 100 outstanding. */
  batchSize?: number;
  /** A stream with no response for this long is rebuilt (Salesforce sends a keepalive within 270 s). */
  silenceTimeoutMs?: number;
  /** A new subscription counts as open once it has lasted this long without an error (Salesforce confirms nothing). */
  establishMs?: number;
  /** Backoff ceiling between reconnects. */
  maxBackoffMs?: number;
  /** How long demand may rest at zero before one more event is asked for (Salesforce closes an idle stream after 60 s). */
  idleGuardMs?: number;
}

/** Errors that say this org cannot use Pub/Sub at all (an edition or a permission): the caller should use CometD. */
const SOURCE_UNAVAILABLE = /service\.tenant\.license|topic\.api\.unavailable|subscription\.topic\.cannot\.subscribe|topic\.meta\.permission/;
const REPLAY_INVALID = /replayid\.(corrupted|validation\.failed)/;
const AUTH = /service\.auth\.(error|refresh\.invalid|headers\.invalid)/;

/**
 * A Change Data Capture subscription over the Pub/Sub API: pull-based, with demand kept topped up (never more
 * than 100 outstanding, never idle at zero), events decoded against their schema and handed over strictly in
 * order. A dropped, failed or silent stream is rebuilt from the caller's acknowledged position with backoff and
 * jitter, after the events already received are handled; an event delivered twice is dropped by its id.
 */
export class PubSubStream implements ChangeStream {
  readonly source = 'pubsub' as const;
  private call: grpc.ClientDuplexStream<FetchRequest, FetchResponse> | null = null;
  private generation = 0;
  private stopped = false;
  private failed = false;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Events asked for and not yet received, counted here: a response's own count can predate a request in flight. */
  private pending = 0;
  private lastEventAt = 0;
  private lastContactAt = 0;
  private attempts = 0;
  private authRetried = false;
  private timers: { silence?: NodeJS.Timeout; idle?: NodeJS.Timeout; reconnect?: NodeJS.Timeout } = {};
  private readonly seen = new RecentIds(5000);
  private readonly batchSize: number;

  constructor(private readonly channel: PubSubChannel, private readonly session: SalesforceSession, private readonly options: PubSubStreamOptions) {
    this.batchSize = Math.min(100, Math.max(1, options.batchSize ?? 100));
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.failed = false;
    await this.subscribe(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    this.endCall();
    await this.queue.catch(() => undefined);
  }

  lastContactTime(): number {
    return this.lastContactAt;
  }

  lastEventTime(): number {
    return this.lastEventAt;
  }

  /**
   * Opens a Subscribe call from the caller's position. For start(), settles once the call has lasted
   * `establishMs`, or on its first response or error; a rebuild settles at once (its failures rebuild again).
   */
  private subscribe(isStart: boolean): Promise<void> {
    const generation = ++this.generation;
    const token = this.session.accessToken();
    const call = this.channel.client.Subscribe(this.channel.metadata(this.session, this.options.orgId));
    this.call = call;
    this.pending = 0;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(establish);
        if (error) reject(error);
        else resolve();
      };
      const establish = setTimeout(() => settle(), isStart ? (this.options.establishMs ?? 1000) : 0);
      call.on('data', (response: FetchResponse) => {
        if (generation !== this.generation) return;
        settle();
        this.onResponse(response);
      });
      call.on('error', (error: grpc.ServiceError) => {
        if (generation !== this.generation) return;
        void this.onCallEnd(error, token, settled || !isStart ? null : settle);
      });
      call.on('end', () => {
        if (generation !== this.generation) return;
        void this.onCallEnd(null, token, settled || !isStart ? null : settle);
      });
      call.on('status', () => undefined);
      this.request(this.firstRequest());
      this.watchSilence();
    });
  }

  private firstRequest(): FetchRequest {
    const from: ReplayFrom = this.options.replayFrom();
    const base = { topicName: this.options.channel, numRequested: this.batchSize };
    if (from === 'LATEST') return { ...base, replayPreset: 'LATEST' };
    if (from === 'EARLIEST') return { ...base, replayPreset: 'EARLIEST' };
    return { ...base, replayPreset: 'CUSTOM', replayId: Buffer.from(from.replayId, 'base64') };
  }

  private request(request: FetchRequest): void {
    if (!this.call) return;
    this.pending = Math.min(100, this.pending + (request.numRequested ?? 0));
    this.call.write(request);
    this.watchIdle();
  }

  private onResponse(response: FetchResponse): void {
    const now = Date.now();
    this.lastContactAt = now;
    this.attempts = 0;
    this.authRetried = false;
    this.pending = Math.max(0, this.pending - response.events.length);
    this.watchSilence();
    if (response.events.length === 0) {
      // A keepalive: with nothing of ours in flight, its position is as far as this connection has got.
      if (this.queued === 0 && response.latestReplayId?.length) this.options.onIdlePosition?.(response.latestReplayId.toString('base64'));
    }
    for (const consumed of response.events) {
      if (this.seen.has(consumed.event.id)) continue; // a redelivery of an event already taken
      this.seen.add(consumed.event.id);
      this.lastEventAt = now;
      this.queued++;
      this.enqueue(consumed.event.schemaId, consumed.event.payload, consumed.replayId.toString('base64'));
    }
    this.topUp();
  }

  /** Asks for more once outstanding demand plus the events waiting here fall to half a batch. */
  private topUp(): void {
    const want = this.batchSize - this.pending - this.queued;
    if (want >= Math.ceil(this.batchSize / 2) || (this.pending === 0 && this.queued === 0 && want > 0)) this.request({ numRequested: want });
  }

  private enqueue(schemaId: string, payload: Buffer, replayId: string): void {
    this.queue = this.queue.then(async () => {
      if (this.stopped || this.failed) return;
      let event: ChangeEvent;
      try {
        const schema = await this.channel.schema(schemaId, () => this.channel.metadata(this.session, this.options.orgId));
        event = decodeOrReport(schema, payload, this.options.channel, replayId);
        await this.options.onEvent(event);
      } catch (error) {
        // Nothing after an unhandled event may be delivered: stop, and let the owner restart from its position.
        this.failed = true;
        this.clearTimers();
        this.endCall();
        this.options.onProblem({ kind: 'handler-failed', channel: this.options.channel, replayId, error });
      } finally {
        this.queued--;
      }
      if (!this.failed && !this.stopped) this.topUp();
    });
  }

  private async onCallEnd(error: grpc.ServiceError | null, token: string, establishing: ((error?: Error) => void) | null): Promise<void> {
    this.call = null;
    this.generation++;
    this.clearTimers();
    if (this.stopped || this.failed) return establishing?.();
    const code = errorCodeOf(error) ?? '';
    const message = error ? `${grpc.status[error.code] ?? error.code}: ${error.details}${code ? ` (${code})` : ''}` : 'the stream ended';
    if (error && (error.code === grpc.status.UNAUTHENTICATED || AUTH.test(code))) {
      if (this.authRetried) return this.fail({ kind: 'auth', error: message }, establishing);
      this.authRetried = true;
      try {
        await this.session.refresh(token);
      } catch (refreshError) {
        return this.fail({ kind: 'auth', error: `${message}; refresh failed: ${refreshError instanceof Error ? refreshError.message : String(refreshError)}` }, establishing);
      }
      return this.resubscribe(establishing);
    }
    if (error && error.code === grpc.status.INVALID_ARGUMENT && REPLAY_INVALID.test(code)) {
      const from = this.options.replayFrom();
      return this.fail({ kind: 'replay-invalid', channel: this.options.channel, replayId: typeof from === 'object' ? from.replayId : from, error: message }, establishing);
    }
    if (error && (error.code === grpc.status.PERMISSION_DENIED || SOURCE_UNAVAILABLE.test(code))) return this.fail({ kind: 'source-unavailable', source: 'pubsub', error: message }, establishing);
    if (error && error.code === grpc.status.NOT_FOUND) return this.fail({ kind: 'subscribe-failed', channel: this.options.channel, error: message }, establishing);
    if (establishing) return establishing(new Error(`subscribe to ${this.options.channel} failed: ${message}`));
    this.reconnectLater(message);
  }

  private fail(problem: Parameters<ChangeStreamOptions['onProblem']>[0], establishing: ((error?: Error) => void) | null): void {
    this.failed = true;
    this.options.onProblem(problem);
    establishing?.(new Error(`subscribe to ${this.options.channel} failed: ${String((problem as { error?: unknown }).error ?? problem.kind)}`));
  }

  private async resubscribe(establishing: ((error?: Error) => void) | null): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.stopped || this.failed) return establishing?.();
    try {
      await this.subscribe(establishing !== null);
      establishing?.();
    } catch (error) {
      establishing?.(error as Error);
    }
  }

  /** Rebuilds the stream after the events already received are handled, with backoff and jitter. */
  private reconnectLater(reason: string): void {
    this.attempts++;
    const ceiling = Math.min(this.options.maxBackoffMs ?? 30_000, 250 * 2 ** Math.min(this.attempts - 1, 10));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.options.onReconnect?.(reason, this.attempts);
    this.timers.reconnect = setTimeout(() => {
      void this.queue.catch(() => undefined).then(async () => {
        if (this.stopped || this.failed) return;
        await this.subscribe(false); // a failure ends the call and lands back in onCallEnd, which rebuilds again
      });
    }, delay);
  }

  /** A stream that says nothing past its keepalive window is rebuilt. */
  private watchSilence(): void {
    clearTimeout(this.timers.silence);
    const timeout = this.options.silenceTimeoutMs ?? 300_000;
    this.timers.silence = setTimeout(() => {
      if (this.stopped || this.failed || !this.call) return;
      this.endCall();
      this.generation++;
      this.reconnectLater(`no response for ${timeout} ms`);
    }, timeout);
    this.timers.silence.unref();
  }

  /** Demand never rests at zero long enough for Salesforce to close the stream (60 s after its last response). */
  private watchIdle(): void {
    clearTimeout(this.timers.idle);
    this.timers.idle = setTimeout(() => {
      if (this.stopped || this.failed || !this.call) return;
      if (this.pending === 0) this.request({ numRequested: 1 });
      else this.watchIdle();
    }, this.options.idleGuardMs ?? 25_000);
    this.timers.idle.unref();
  }

  private endCall(): void {
    const call = this.call;
    this.call = null;
    if (!call) return;
    call.removeAllListeners('data');
    call.on('error', () => undefined);
    call.cancel();
  }

  private clearTimers(): void {
    clearTimeout(this.timers.silence);
    clearTimeout(this.timers.idle);
    clearTimeout(this.timers.reconnect);
    this.timers = {};
  }
}

function decodeOrReport(schema: { decode(payload: Buffer, channel: string, replayId: string): ChangeEvent }, payload: Buffer, channel: string, replayId: string): ChangeEvent {
  try {
    return schema.decode(payload, channel, replayId);
  } catch (error) {
    const header = { entityName: '', recordIds: [], changeType: 'UNKNOWN', changeOrigin: '', transactionKey: randomUUID(), sequenceNumber: 0, commitTimestamp: 0, commitNumber: 0, commitUser: '' };
    return { channel, replayId, header, fields: {}, decodeError: `the payload does not decode with its schema: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The last N event ids seen, in arrival order. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(id: string): boolean {
    return id !== '' && this.ids.has(id);
  }
  add(id: string): void {
    if (!id) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
  }
}
