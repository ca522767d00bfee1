import { SALESFORCE_API_VERSION } from './api-version';
import type { ChangeEvent, ChangeEventHeader } from './change-events';
import type { ChangeStream, ChangeStreamOptions, ReplayFrom } from './change-stream';
import type { SalesforceSession } from './session';

// faye ships no type declarations; this is the part of its client the stream uses.
interface FayeMessage {
  channel: string;
  successful?: boolean;
  error?: string;
  advice?: { reconnect?: string };
  subscription?: string;
  ext?: Record<string, unknown>;
  data?: { event?: { replayId?: number }; payload?: Record<string, unknown>; schema?: string };
}
interface FayeExtension {
  incoming?(message: FayeMessage, callback: (message: FayeMessage) => void): void;
  outgoing?(message: FayeMessage, callback: (message: FayeMessage) => void): void;
}
interface FayeSubscription extends PromiseLike<unknown> {
  cancel(): void;
}
interface FayeClient {
  setHeader(name: string, value: string): void;
  addExtension(extension: FayeExtension): void;
  subscribe(channel: string, listener: (data: FayeMessage['data']) => void): FayeSubscription;
  disconnect(): PromiseLike<unknown> | void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Faye = require('faye') as { Client: new (url: string, options?: Record<string, unknown>) => FayeClient };

export interface CdcStreamOptions extends ChangeStreamOptions {
  /** Seconds faye waits for an answer beyond the server's advised timeout. */
  timeoutSeconds?: number;
}

/** CometD's replay value: -1 the tip, -2 everything retained, or an event's replay id. */
function cometdReplay(from: ReplayFrom): number {
  if (from === 'LATEST') return -1;
  if (from === 'EARLIEST') return -2;
  return Number(from.replayId);
}

/**
 * A Change Data Capture subscription over CometD (faye, long-polling): the replay extension sends the caller's
 * acknowledged position on every subscribe, events are handed over strictly in order, an expired session is
 * refreshed once and the client rebuilt, and an invalid replay id is reported instead of silently wedging.
 */
export class CdcStream implements ChangeStream {
  readonly source = 'cometd' as const;
  private client: FayeClient | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private failed = false;
  private lastEventAt = 0;
  private lastContactAt = 0;
  private refreshing = false;

  constructor(private readonly session: SalesforceSession, private readonly options: CdcStreamOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.failed = false;
    const client = new Faye.Client(`${this.session.instanceUrl}/cometd/${SALESFORCE_API_VERSION}`, { timeout: this.options.timeoutSeconds ?? 120, retry: 2 });
    client.setHeader('Authorization', `OAuth ${this.session.accessToken()}`);
    client.addExtension(this.replayExtension());
    client.addExtension(this.authExtension());
    this.client = client;
    const subscription = client.subscribe(this.options.channel, (data) => this.enqueue(data));
    await new Promise<void>((resolve, reject) => {
      subscription.then(
        () => resolve(),
        (error: unknown) => {
          const message = errorText(error);
          reject(new Error(`subscribe to ${this.options.channel} failed: ${message}`));
        },
      );
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    // Wait (a little) for the disconnect reply: faye keeps a retry timer for an unanswered /meta/disconnect.
    if (client) await Promise.race([Promise.resolve(client.disconnect()).then(() => undefined, () => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.queue.catch(() => undefined);
  }

  /** When Salesforce last answered a handshake or a connect successfully (0: never): a live stream polls at least every ~2 minutes. */
  lastContactTime(): number {
    return this.lastContactAt;
  }

  /** When the last event arrived (0: none yet), for health checks of a stuck stream. */
  lastEventTime(): number {
    return this.lastEventAt;
  }

  private enqueue(data: FayeMessage['data']): void {
    if (this.stopped || this.failed || !data?.payload) return;
    this.lastEventAt = Date.now();
    const { ChangeEventHeader: header, ...fields } = data.payload as { ChangeEventHeader: ChangeEventHeader } & Record<string, unknown>;
    const event: ChangeEvent = { channel: this.options.channel, replayId: String(data.event?.replayId), header, fields };
    this.queue = this.queue.then(async () => {
      if (this.stopped || this.failed) return;
      try {
        await this.options.onEvent(event);
      } catch (error) {
        // Nothing after an unhandled event may be delivered: stop, and let the owner restart from its position.
        this.failed = true;
        this.client?.disconnect();
        this.options.onProblem({ kind: 'handler-failed', channel: event.channel, replayId: event.replayId, error });
      }
    });
  }

  private replayExtension(): FayeExtension {
    return {
      outgoing: (message, callback) => {
        if (message.channel === '/meta/subscribe' && message.subscription === this.options.channel) {
          message.ext = { ...(message.ext ?? {}), replay: { [this.options.channel]: cometdReplay(this.options.replayFrom()) } };
        }
        callback(message);
      },
      incoming: (message, callback) => {
        if ((message.channel === '/meta/connect' || message.channel === '/meta/handshake') && message.successful === true) this.lastContactAt = Date.now();
        if (message.channel === '/meta/subscribe' && message.successful === false && typeof message.error === 'string') {
          const match = /The replayId \{(-?\d+)\} you provided was invalid/.exec(message.error);
          if (match) this.options.onProblem({ kind: 'replay-invalid', channel: this.options.channel, replayId: match[1], error: message.error });
          else this.options.onProblem({ kind: 'subscribe-failed', channel: this.options.channel, error: message.error });
        }
        callback(message);
      },
    };
  }

  /** A 401 on handshake or connect: refresh the token once and rebuild the client from the acknowledged position. */
  private authExtension(): FayeExtension {
    return {
      incoming: (message, callback) => {
        const denied =
          (message.channel === '/meta/handshake' || message.channel === '/meta/connect') &&
          message.successful === false &&
          (message.advice?.reconnect === 'none' || /^401::/.test(message.error ?? '') || /401::/.test(JSON.stringify(message.ext ?? {})));
        if (denied && !this.stopped && !this.refreshing) void this.reauthenticate(message.error ?? '401');
        callback(message);
      },
    };
  }

  private async reauthenticate(reason: string): Promise<void> {
    this.refreshing = true;
    const failedToken = this.session.accessToken();
    this.client?.disconnect();
    this.client = null;
    try {
      await this.session.refresh(failedToken);
      if (!this.stopped) await this.start();
    } catch (error) {
      this.options.onProblem({ kind: 'auth', error: `${reason}; refresh failed: ${errorText(error)}` });
    } finally {
      this.refreshing = false;
    }
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
