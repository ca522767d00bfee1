import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { EmulatedOrg, OrgSettings } from './emulated-org';
import { FleetOrgRequest, OrgFleet } from './fleet';
import { HttpError, Request, parseJson, readBody, send } from './http';
import { PubSubServer } from './pubsub/server';
import { TlsCredentials, selfSignedCertificate } from './tls';

export { API_VERSIONS, LATEST_VERSION } from './versions';
export { DEFAULT_APP } from './emulated-org';
export type { ErrorFault, FaultCategory, OrgSettings } from './emulated-org';

export interface EmulatorOptions extends OrgSettings {
  port?: number;
  host?: string;
  /** The URL clients see (instance_url); by default http://<host>:<port>. */
  publicUrl?: string;
  /** Serve HTTPS: with this certificate, or (true) a self-signed one made at start (see `certificate`). */
  tls?: boolean | TlsCredentials;
  /** The Pub/Sub API's gRPC port (0: any free one); false: no Pub/Sub server. */
  pubsubPort?: number | false;
  /** Serve Pub/Sub in plain text instead of TLS with the emulator's certificate (tests that ask for it). */
  pubsubPlaintext?: boolean;
  /** Pub/Sub keepalive interval, ms (Salesforce: within 270 s). */
  pubsubKeepaliveMs?: number;
  /** Pub/Sub idle close with nothing requested, ms (Salesforce: 60 s). */
  pubsubIdleTimeoutMs?: number;
}

/**
 * The emulated Salesforce: the demo org on the emulator's own URL, and any number of further orgs (the fleet),
 * each on its own URL as real My Domains are, all on one port; one Pub/Sub endpoint for every org.
 */
export class SalesforceEmulator {
  /** The org on the emulator's own URL. */
  readonly primary: EmulatedOrg;
  readonly fleet: OrgFleet;
  /** Null until start(), and when the emulator runs without Pub/Sub. */
  pubsub: PubSubServer | null = null;
  private pubsubCredentials: TlsCredentials | null = null;
  private server: Server | null = null;
  private credentials: TlsCredentials | null = null;
  private baseUrl = '';

  constructor(private readonly options: EmulatorOptions = {}) {
    this.primary = new EmulatedOrg(options, () => this.baseUrl, () => this.pubsub);
    this.fleet = new OrgFleet(options, () => this.pubsub, () => this.listenerFor((req, res) => this.dispatch(req, res)));
  }

  get url(): string {
    return this.baseUrl;
  }

  // The demo org's parts, as tests and scripts use them.
  get org() {
    return this.primary.org;
  }
  get oauth() {
    return this.primary.oauth;
  }
  get faults() {
    return this.primary.faults;
  }
  get cometd() {
    return this.primary.cometd;
  }
  get integrationUserId(): string {
    return this.primary.integrationUserId;
  }
  userId(username: string): string | undefined {
    return this.primary.userId(username);
  }
  apiUsage(): { used: number; max: number } {
    return this.primary.apiUsage();
  }
  callCounts(): Record<string, number> {
    return this.primary.callCounts();
  }
  resetCounters(): void {
    this.primary.resetCounters();
  }

  /** host:port of the Pub/Sub API ('' when not served). */
  get pubsubEndpoint(): string {
    return this.pubsub?.endpoint ?? '';
  }

  /** The PEM certificate a Pub/Sub client must trust (null: plain text). */
  get pubsubCertificate(): string | null {
    return this.pubsubCredentials?.cert ?? null;
  }

  /** The PEM certificate clients must trust when the emulator serves HTTPS. */
  get certificate(): string | null {
    return this.credentials?.cert ?? null;
  }

  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const tls = this.options.tls;
    this.credentials = tls === true ? await selfSignedCertificate(host) : tls || null;
    const server = this.listenerFor((req, res) => this.dispatch(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const scheme = this.credentials ? 'https' : 'http';
    this.baseUrl = this.options.publicUrl ?? `${scheme}://${address.address === '::' ? '127.0.0.1' : address.address}:${address.port}`;
    this.fleet.serveOn({ scheme, port: address.port, wildcard: host === '0.0.0.0' || host === '::' });
    if (this.options.pubsubPort !== false) {
      this.pubsubCredentials = this.options.pubsubPlaintext ? null : (this.credentials ?? (await selfSignedCertificate(host)));
      this.pubsub = new PubSubServer((orgId15) => this.orgById(orgId15)?.pubsubTenant, {
        port: this.options.pubsubPort ?? 0, host, tls: this.pubsubCredentials,
        keepaliveMs: this.options.pubsubKeepaliveMs ?? 60_000, idleTimeoutMs: this.options.pubsubIdleTimeoutMs ?? 60_000, deliveryDelayMs: 0,
      });
      await this.pubsub.start();
    }
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.primary.close();
    await this.fleet.removeAll();
    await this.pubsub?.stop();
    this.pubsub = null;
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }

  applySeed(...args: Parameters<EmulatedOrg['applySeed']>): Record<string, unknown> {
    return this.primary.applySeed(...args);
  }

  /** The org a request is for: a fleet org by the host it was sent to, the demo org otherwise. */
  orgFor(req: IncomingMessage): EmulatedOrg {
    return this.fleet.byHost(req.headers.host ?? '') ?? this.primary;
  }

  private orgById(orgId15: string): EmulatedOrg | undefined {
    if (this.primary.org.orgId.slice(0, 15) === orgId15) return this.primary;
    return this.fleet.byOrgId(orgId15);
  }

  private listenerFor(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
    const listener = (req: IncomingMessage, res: ServerResponse) => void handler(req, res);
    const server = this.credentials ? createHttpsServer({ key: this.credentials.key, cert: this.credentials.cert }, listener) : createServer(listener);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    return server;
  }

  private async dispatch(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(raw.url ?? '/', 'http://emulator');
      const body = await readBody(raw, 150 * 1024 * 1024);
      const req: Request = { method: raw.method ?? 'GET', url, path: url.pathname, headers: raw.headers, body, raw };
      if (req.path.startsWith('/__emulator/') && (await this.hostAdmin(req, res))) return;
      await this.orgFor(raw).handle(req, res);
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, error.body, error.headers);
      const message = error instanceof Error ? error.message : String(error);
      send(res, 500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${Date.now()}-1 (${message})` }]);
    }
  }

  /** The admin routes of the emulator as a whole (certificates, the fleet); false: a route of the org addressed. */
  private async hostAdmin(req: Request, res: ServerResponse): Promise<boolean> {
    const [route, ...rest] = req.path.split('/').filter(Boolean).slice(1);
    switch (`${req.method} ${route}`) {
      case 'GET certificate':
        if (this.credentials) send(res, 200, this.credentials.cert, { 'Content-Type': 'application/x-pem-file' });
        else send(res, 404, { error: 'the emulator serves plain HTTP' });
        return true;
      case 'GET pubsub-certificate':
        if (this.pubsubCredentials) send(res, 200, this.pubsubCredentials.cert, { 'Content-Type': 'application/x-pem-file' });
        else send(res, 404, { error: 'Pub/Sub is served in plain text, or not at all' });
        return true;
      case 'GET orgs':
        send(res, 200, { orgs: this.fleet.describe(rest[0]) });
        return true;
      case 'POST orgs': {
        const started = Date.now();
        const orgs = await this.fleet.create(parseJson(req) as FleetOrgRequest);
        send(res, 201, { orgs, createdMs: Date.now() - started });
        return true;
      }
      case 'DELETE orgs':
        send(res, 200, { removed: await this.fleet.removeAll() });
        return true;
      default:
        return false;
    }
  }
}
