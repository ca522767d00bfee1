import type { ServerResponse } from 'node:http';
import { randomBase36, randomToken } from './ids';
import { EventBus, ReplayIdInvalid, StreamEvent } from './event-bus';
import { Request, cookies } from './http';
import { LATEST_VERSION } from './versions';

type Message = Record<string, unknown> & { channel?: string; id?: unknown; clientId?: string };

interface HeldConnect {
  res: ServerResponse;
  replies: Message[];
  reply: Message;
  timer: NodeJS.Timeout;
  status: number;
}

interface Client {
  id: string;
  browser: string;
  userId: string;
  subscriptions: Map<string, () => void>;
  queue: Message[];
  held: HeldConnect | null;
  connects: number;
  lastSeen: number;
}

export interface CometdOptions {
  /** How long /meta/connect is held without events (Salesforce: 110 s). */
  connectTimeoutMs: number;
  /** A client that does not reconnect within this time is forgotten (Salesforce: 40 s). */
  clientTimeoutMs: number;
  maxClients: number;
}

export interface CometdStats {
  delivered: number;
  clients: number;
}

const REPLAY_INVALID = (id: unknown) =>
  `400::The replayId {${String(id)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;

/** The Streaming API: Bayeux over long-polling at /cometd/<version>, as Salesforce's modified CometD server speaks it. */
export class CometdServer {
  private readonly clients = new Map<string, Client>();
  private readonly sweeper: NodeJS.Timeout;
  readonly stats: CometdStats = { delivered: 0, clients: 0 };

  constructor(private readonly bus: EventBus, readonly options: CometdOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, options.clientTimeoutMs / 4)));
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const client of this.clients.values()) this.drop(client);
  }

  /** Test control: forget every client now (their next request gets 403::Unknown client). */
  dropAll(): number {
    const n = this.clients.size;
    for (const client of [...this.clients.values()]) this.drop(client);
    return n;
  }

  clientCount(): number {
    return this.clients.size;
  }

  handle(req: Request, res: ServerResponse, userId: string | null, version: string | null): void {
    if (!version) return this.reply(res, 400, [{ channel: '/meta/handshake', successful: false, error: `400::API version in the URI is mandatory. URI format: '/cometd/${LATEST_VERSION}'` }]);
    if (Number(version) < 37) return this.reply(res, 400, [{ channel: '/meta/handshake', successful: false, error: '400::Unsupported API version. Only API versions 37.0 and later are supported.' }]);
    if (req.body.length > 32_768) return this.reply(res, 413, [{ successful: false, error: '413::Maximum Request Size Exceeded' }]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString('utf8'));
    } catch {
      return this.reply(res, 400, [{ successful: false, error: '400::Invalid JSON' }]);
    }
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Message[];
    const replies: Message[] = [];
    const headers: Record<string, string> = {};
    let connect: Message | null = null;
    let status = 200;
    for (const message of messages) {
      const channel = String(message.channel ?? '');
      const base = { channel, ...(message.id !== undefined ? { id: message.id } : {}) };
      if (!userId && (channel === '/meta/handshake' || channel === '/meta/connect' || channel === '/meta/subscribe')) {
        status = 401;
        replies.push(
          channel === '/meta/handshake'
            ? { ...base, ext: { sfdc: { failureReason: '401::Authentication invalid' }, replay: true }, advice: { reconnect: 'none' }, error: '403::Handshake denied', successful: false }
            : { ...base, clientId: message.clientId, advice: { reconnect: 'none', interval: 0 }, error: '401::Authentication invalid', successful: false },
        );
        continue;
      }
      if (channel === '/meta/handshake') {
        if (this.clients.size >= this.options.maxClients) {
          replies.push({ ...base, error: '403::Organization concurrent user limit exceeded', successful: false, advice: { reconnect: 'none' } });
          continue;
        }
        const client: Client = {
          id: randomBase36(31), browser: randomToken(18), userId: userId!, subscriptions: new Map(), queue: [], held: null, connects: 0, lastSeen: Date.now(),
        };
        this.clients.set(client.id, client);
        this.stats.clients++;
        // Secure only over HTTPS: a cookie jar never sends a Secure cookie back over plain HTTP (RFC 6265 §5.4).
        headers['Set-Cookie'] = `BAYEUX_BROWSER=${client.browser}; Path=/; HttpOnly${isHttps(req) ? '; Secure' : ''}`;
        replies.push({ ext: { replay: true, 'payload.format': true }, minimumVersion: '1.0', clientId: client.id, supportedConnectionTypes: ['long-polling'], ...base, version: '1.0', successful: true });
        continue;
      }
      const client = this.clients.get(String(message.clientId ?? ''));
      if (!client) {
        replies.push({ ...base, ...(message.subscription ? { subscription: message.subscription } : {}), advice: { interval: 0, reconnect: 'handshake' }, error: '403::Unknown client', successful: false });
        continue;
      }
      if (cookies(req).BAYEUX_BROWSER !== client.browser) {
        replies.push({ ...base, clientId: client.id, error: `400::Client ${client.id} has established a session, but no BAYEUX_BROWSER cookie present`, successful: false, advice: { reconnect: 'handshake', interval: 0 } });
        continue;
      }
      client.lastSeen = Date.now();
      switch (channel) {
        case '/meta/connect':
          connect = message;
          break;
        case '/meta/subscribe':
          replies.push(this.subscribe(client, message, base));
          break;
        case '/meta/unsubscribe': {
          const subscription = String(message.subscription ?? '');
          client.subscriptions.get(subscription)?.();
          client.subscriptions.delete(subscription);
          replies.push({ ...base, clientId: client.id, subscription, successful: true });
          break;
        }
        case '/meta/disconnect':
          this.drop(client);
          replies.push({ ...base, clientId: client.id, successful: true });
          break;
        default:
          replies.push({ ...base, clientId: client.id, error: `403::Restricted channel`, successful: false });
      }
    }
    if (!connect) return this.reply(res, status, replies, headers);
    const client = this.clients.get(String(connect.clientId))!;
    if (!client) return this.reply(res, status, replies, headers);
    this.connect(client, connect, res, replies, headers);
  }

  private subscribe(client: Client, message: Message, base: Message): Message {
    const subscription = String(message.subscription ?? '');
    const reply = { ...base, clientId: client.id, subscription };
    if (!this.bus.has(subscription)) {
      return { ...reply, error: `400::The channel you requested to subscribe to does not exist {${subscription}}`, successful: false };
    }
    const replayMap = (message.ext as { replay?: Record<string, unknown> } | undefined)?.replay;
    let from = -1;
    if (replayMap && typeof replayMap === 'object') {
      if (!(subscription in replayMap)) {
        return { ...reply, error: `400::The replayId for channel {${subscription}} wasn't found using the provided replay ID map {${JSON.stringify(replayMap)}}`, successful: false };
      }
      from = Number(replayMap[subscription]);
      if (!Number.isInteger(from) || (from < 0 && from !== -1 && from !== -2)) return { ...reply, error: REPLAY_INVALID(replayMap[subscription]), successful: false };
    }
    let backlog: StreamEvent[];
    try {
      backlog = this.bus.replay(subscription, from);
    } catch (error) {
      if (error instanceof ReplayIdInvalid) return { ...reply, error: REPLAY_INVALID(from), successful: false };
      throw error;
    }
    client.subscriptions.get(subscription)?.();
    client.subscriptions.set(subscription, this.bus.subscribe(subscription, (event) => this.enqueue(client, event)));
    for (const event of backlog) this.enqueue(client, event);
    return { ...reply, successful: true };
  }

  private enqueue(client: Client, event: StreamEvent): void {
    client.queue.push({ data: event.data, channel: event.channel });
    if (client.held && client.queue.length === 1) setImmediate(() => this.flush(client));
  }

  private connect(client: Client, message: Message, res: ServerResponse, replies: Message[], headers: Record<string, string>): void {
    // A newer connect releases the one being held.
    if (client.held) this.flush(client);
    const reply: Message = { clientId: client.id, channel: '/meta/connect', id: message.id, successful: true };
    // The first connect after a handshake is answered at once, with the advice (as CometD servers do).
    const first = client.connects++ === 0;
    if (first) reply.advice = { interval: 0, timeout: this.options.connectTimeoutMs, reconnect: 'retry' };
    const held: HeldConnect = {
      res,
      replies,
      reply,
      status: 200,
      timer: setTimeout(() => this.flush(client), first || client.queue.length > 0 ? 0 : this.options.connectTimeoutMs),
    };
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    client.held = held;
    res.on('close', () => {
      if (client.held === held && !res.writableEnded) {
        clearTimeout(held.timer);
        client.held = null;
        client.lastSeen = Date.now();
      }
    });
    if (client.queue.length > 0) setImmediate(() => this.flush(client));
  }

  /** Answers the held connect with the queued events and the connect reply, in one array. */
  private flush(client: Client): void {
    const held = client.held;
    if (!held) return;
    client.held = null;
    clearTimeout(held.timer);
    const events = client.queue.splice(0);
    this.stats.delivered += events.length;
    client.lastSeen = Date.now();
    this.reply(held.res, held.status, [...held.replies, ...events, held.reply]);
  }

  private drop(client: Client): void {
    for (const unsubscribe of client.subscriptions.values()) unsubscribe();
    client.subscriptions.clear();
    this.clients.delete(client.id);
    if (client.held) {
      const held = client.held;
      client.held = null;
      clearTimeout(held.timer);
      this.reply(held.res, 200, [...held.replies, { ...held.reply, successful: false, error: '403::Unknown client', advice: { interval: 0, reconnect: 'handshake' } }]);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const client of [...this.clients.values()]) {
      if (!client.held && now - client.lastSeen > this.options.clientTimeoutMs) this.drop(client);
    }
  }

  private reply(res: ServerResponse, status: number, body: Message[], headers: Record<string, string> = {}): void {
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}

/** The request reached the emulator over TLS, or through a proxy that terminated it. */
function isHttps(req: Request): boolean {
  return (req.raw.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
