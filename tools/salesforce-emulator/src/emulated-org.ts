import type { ServerResponse } from 'node:http';
import { BulkApi } from './bulk';
import { CometdServer } from './cometd';
import { PubSubServer, PubSubTenant } from './pubsub/server';
import { HttpError, Request, callOptionsClient, parseJson, restError, send } from './http';
import type { CustomFieldSpec } from './metadata';
import { Org, WriteContext } from './org';
import { ConnectedApp, LoginUser, OAuthServer } from './oauth';
import { RestApi } from './rest';
import { LatencyProfile, LatencyProfileName, bulkProcessingMs, callDelayMs, changeEventDelayMs, latencyProfile } from './latency';
import { bulkV1Unavailable, soapUnavailable } from './unavailable';
import { ToolingApi } from './tooling';
import { DEFAULT_USERS, DEMO_CUSTOM_FIELDS, GeneratedSeed, SeedFile, SeedUser, generate, loadRecords, seedUsers } from './seed';
import { SaveFailure, wholeSecondNow } from './values';
import { API_VERSIONS, LATEST_VERSION, isRetiredVersion, isServedVersion, versionLabel } from './versions';

export type FaultCategory = 'oauth' | 'rest' | 'query' | 'collections' | 'composite' | 'bulk' | 'cometd' | 'any';

export interface ErrorFault {
  /** 0..1: share of matching requests that fail. */
  rate: number;
  /**
   * 500 / 503 answer with Salesforce's error body; 'timeout' never answers (the client must time out); 400 refuses
   * with `errorCode` and `message` (a permanent refusal).
   */
  kind: 500 | 503 | 'timeout' | 400;
  errorCode?: string;
  message?: string;
  /** Only requests whose URL or body contains this text (e.g. one record's email). */
  match?: string;
}

/** What makes one org: its people, data, limits and behaviour. */
export interface OrgSettings {
  /** The org id (18 characters); the demo org's by default. */
  orgId?: string;
  /** Organization.Name. */
  name?: string;
  apps?: ConnectedApp[];
  users?: SeedUser[];
  customFields?: Record<string, CustomFieldSpec[]>;
  seed?: SeedFile;
  tokenLifetimeMs?: number;
  autoApprove?: boolean;
  dailyApiLimit?: number;
  bulkProcessingDelayMs?: number;
  bulkDefaultMaxRecords?: number;
  cometdConnectTimeoutMs?: number;
  cometdClientTimeoutMs?: number;
  cometdMaxClients?: number;
  eventRetentionMs?: number;
  contactEmailDuplicateRule?: boolean;
  /** A sandbox org (Organization.IsSandbox). */
  sandbox?: boolean;
  /** How long calls take (README: the profiles' figures): fast (default), realistic, slow-automation. */
  latencyProfile?: LatencyProfileName;
  /** A request running this long counts as long-running, ms (Salesforce: 20 s). */
  longRunningThresholdMs?: number;
  /** Long-running requests at once before REQUEST_LIMIT_EXCEEDED (Salesforce: 25 in production orgs). */
  maxLongRunningRequests?: number;
}

export const DEFAULT_APP: ConnectedApp = {
  clientId: '3MVG9emulator.journy.connector.client',
  clientSecret: 'emulator-client-secret',
  redirectUris: ['http://127.0.0.1:3000/v1/oauth/salesforce/callback', 'http://localhost:3000/v1/oauth/salesforce/callback', 'http://localhost/callback'],
};

interface Faults {
  errors: Partial<Record<FaultCategory, ErrorFault>>;
  requestLimitExceeded: boolean;
  lockRowRate: number;
  recordError: { statusCode: string; message: string; rate: number } | null;
}

/**
 * One emulated org, as it answers on its own My Domain: OAuth, REST, Bulk API 2.0, Streaming (CometD + CDC), its
 * Pub/Sub side, its limits and latency profile, and the admin API that controls it.
 */
export class EmulatedOrg {
  readonly org: Org;
  readonly oauth: OAuthServer;
  readonly rest: RestApi;
  readonly bulk: BulkApi;
  readonly cometd: CometdServer;
  readonly pubsubTenant: PubSubTenant;
  readonly tooling: ToolingApi;
  readonly faults: Faults = { errors: {}, requestLimitExceeded: false, lockRowRate: 0, recordError: null };
  private apiUsed = 0;
  dailyApiLimit: number;
  private readonly callsByEndpoint = new Map<string, number>();
  private users: { userId: string; username: string; password: string }[] = [];
  latency: LatencyProfile;
  /** Start times of the API requests being answered (the concurrent long-running request limit). */
  private readonly inFlight = new Set<{ startedAt: number }>();
  /** The most API requests the org has had in flight at once (since start or the last reset). */
  private peakInFlight = 0;

  /**
   * `baseUrl` gives the org's own URL (its My Domain: login and instance); `pubsub` the Pub/Sub server every org
   * shares (null when the emulator runs without it).
   */
  constructor(private readonly options: OrgSettings, private readonly baseUrl: () => string, private readonly pubsubServer: () => PubSubServer | null) {
    const customFields = options.customFields ?? options.seed?.customFields ?? DEMO_CUSTOM_FIELDS;
    this.org = new Org({ orgId: options.orgId, name: options.name, customFields, contactEmailDuplicateRule: options.contactEmailDuplicateRule, eventRetentionMs: options.eventRetentionMs, sandbox: options.sandbox });
    this.dailyApiLimit = options.dailyApiLimit ?? 100_000;
    this.users = seedUsers(this.org, options.users ?? options.seed?.users ?? DEFAULT_USERS);
    const login: LoginUser[] = this.users;
    this.oauth = new OAuthServer(this.org, { apps: options.apps ?? [DEFAULT_APP], users: login, tokenLifetimeMs: options.tokenLifetimeMs ?? 2 * 3600_000, autoApprove: options.autoApprove ?? false }, baseUrl);
    this.rest = new RestApi(this.org, this.faults);
    this.tooling = new ToolingApi(this.org);
    this.latency = latencyProfile(options.latencyProfile);
    this.bulk = new BulkApi(this.org, this.rest.engine, {
      processingDelayMs: options.bulkProcessingDelayMs ?? 250, defaultMaxRecords: options.bulkDefaultMaxRecords ?? 50_000,
      ingestProcessingMs: (records) => bulkProcessingMs(this.latency, records),
    });
    this.org.changeEventDelay = () => changeEventDelayMs(this.latency);
    this.cometd = new CometdServer(this.org.bus, {
      connectTimeoutMs: options.cometdConnectTimeoutMs ?? 110_000,
      clientTimeoutMs: options.cometdClientTimeoutMs ?? 40_000,
      maxClients: options.cometdMaxClients ?? 2000,
    });
    this.pubsubTenant = new PubSubTenant(this.org, this.oauth);
    if (options.seed) this.applySeed(options.seed);
  }

  get url(): string {
    return this.baseUrl();
  }

  get integrationUserId(): string {
    return this.users[0].userId;
  }

  userId(username: string): string | undefined {
    return this.users.find((u) => u.username === username)?.userId;
  }

  applySeed(seed: SeedFile): Record<string, unknown> {
    const owners = this.users.map((u) => u.userId);
    const result: Record<string, unknown> = {};
    if (seed.generate) result.generated = generate(this.org, seed.generate, owners);
    if (seed.records) result.refs = loadRecords(this.org, seed.records, owners[0]);
    return result;
  }

  /** Usage of the daily API allocation, as /limits and Sforce-Limit-Info report it. */
  apiUsage(): { used: number; max: number } {
    return { used: this.apiUsed, max: this.dailyApiLimit };
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.callsByEndpoint.entries()].sort());
  }

  resetCounters(): void {
    this.apiUsed = 0;
    this.callsByEndpoint.clear();
  }

  /** Open Pub/Sub streams of this org. */
  pubsubStreams(): number {
    return this.pubsubServer()?.streamCount(this.pubsubTenant) ?? 0;
  }

  /** Ends the org's streams (the emulator stopping, or the org removed). */
  close(): void {
    this.cometd.close();
    this.pubsubServer()?.dropAll(this.pubsubTenant);
  }

  /** Answers a request sent to this org's URL (API and admin). */
  async handle(req: Request, res: ServerResponse): Promise<void> {
    if (req.path.startsWith('/services/data/')) {
      const flight = { startedAt: Date.now() };
      this.inFlight.add(flight);
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight.size);
      res.once('close', () => this.inFlight.delete(flight));
    }
    await this.route(req, res);
  }

  private category(path: string): FaultCategory {
    if (path.startsWith('/services/oauth2') || path.startsWith('/id/')) return 'oauth';
    if (path.startsWith('/cometd')) return 'cometd';
    if (/\/jobs\//.test(path)) return 'bulk';
    if (/\/composite\/sobjects/.test(path)) return 'collections';
    if (/\/composite/.test(path)) return 'composite';
    if (/\/(query|queryAll)(\/|$)/.test(path)) return 'query';
    return 'rest';
  }

  /** Injected faults: returns true when the request was answered (or left hanging) by a fault. */
  private injectFault(req: Request, res: ServerResponse): boolean {
    const category = this.category(req.path);
    const fault = this.faults.errors[category] ?? this.faults.errors.any;
    if (!fault || Math.random() >= fault.rate) return false;
    if (fault.match && !decodeURIComponent(req.url.search).includes(fault.match) && !req.body.toString('utf8').includes(fault.match)) return false;
    if (fault.kind === 'timeout') {
      res.on('close', () => undefined); // never answered; the client's timeout fires
      return true;
    }
    if (fault.kind === 400) send(res, 400, [{ errorCode: fault.errorCode ?? 'INVALID_OPERATION', message: fault.message ?? 'refused by an injected fault' }]);
    else if (fault.kind === 503) send(res, 503, [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable. Please try again later.' }]);
    else send(res, 500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${Date.now()}-42 (-1)` }]);
    return true;
  }

  private async route(req: Request, res: ServerResponse): Promise<void> {
    const path = req.path;
    if (path.startsWith('/__emulator')) return this.admin(req, res);
    if (this.injectFault(req, res)) return;

    if (path === '/services/oauth2/authorize') return this.oauth.handleAuthorize(req, res);
    if (path === '/services/oauth2/token' && req.method === 'POST') return this.oauth.handleToken(req, res);
    if (path === '/services/oauth2/revoke') return this.oauth.handleRevoke(req, res);
    if (path === '/services/oauth2/userinfo') return this.oauth.handleIdentity(req, res, true);
    if (/^\/id\/[^/]+\/[^/]+\/?$/.test(path)) return this.oauth.handleIdentity(req, res, false);

    if (path === '/services/data' || path === '/services/data/') {
      return send(res, 200, API_VERSIONS.map((version) => ({ label: versionLabel(version), url: `/services/data/v${version}`, version })));
    }
    if (path.startsWith('/services/Soap/')) return soapUnavailable(res);
    if (path.startsWith('/services/async/')) return bulkV1Unavailable(res);
    const cometd = /^\/cometd(?:\/(?:replay\/)?(\d+\.\d))?\/?$/.exec(path);
    if (cometd) {
      const session = this.oauth.authenticate(req);
      return this.cometd.handle(req, res, session?.userId ?? null, cometd[1] ?? null);
    }
    const data = /^\/services\/data\/v(\d+\.\d)(?:\/(.*))?$/.exec(path);
    if (!data) return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    const [, version, rest = ''] = data;
    if (!isServedVersion(version)) {
      if (isRetiredVersion(version)) return send(res, 410, [{ errorCode: 'API_VERSION_RETIRED', message: `Version ${version} has been retired` }]);
      return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    }
    const session = this.oauth.authenticate(req);
    if (!session) return send(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);

    // The daily API allocation: every authenticated call counts, collections and composite as one.
    if (this.faults.requestLimitExceeded || this.apiUsed >= this.dailyApiLimit) {
      return send(res, 403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], this.limitHeader());
    }
    const longRunning = [...this.inFlight].filter((r) => Date.now() - r.startedAt >= (this.options.longRunningThresholdMs ?? 20_000)).length;
    if (longRunning >= (this.options.maxLongRunningRequests ?? 25)) {
      return send(res, 403, [{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], this.limitHeader());
    }
    this.apiUsed++;
    const endpoint = `${req.method} ${endpointKey(rest)}`;
    this.callsByEndpoint.set(endpoint, (this.callsByEndpoint.get(endpoint) ?? 0) + 1);

    const write: WriteContext = { userId: session.userId, api: 'rest', apiVersion: version, client: callOptionsClient(req) };
    const parts = rest.split('/').filter(Boolean);
    const delay = this.callDelay(req);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      if (parts[0] === 'limits' && parts.length === 1) return send(res, 200, this.limits(), this.limitHeader());
      if (parts[0] === 'tooling') {
        const call = { method: req.method, path: parts.slice(1).join('/'), query: req.url.searchParams, body: req.method === 'GET' || req.method === 'DELETE' ? {} : parseJson(req) };
        const result = this.tooling.handle(call, { version, write, headers: req.headers, identityUrl: `${this.url}/id/${this.org.orgId}/${session.userId}` });
        return sendResult(res, result.status, result.body, { ...this.limitHeader(), ...(result.headers ?? {}) });
      }
      if (parts[0] === 'jobs') {
        const result = this.bulk.handle(req.method, parts.slice(1), req.url.searchParams, req.body, req.headers, version, write);
        return sendResult(res, result.status, result.body, { ...this.limitHeader(), ...(result.headers ?? {}) });
      }
      const result = this.rest.handle({ method: req.method, path: rest, query: req.url.searchParams, body: req.method === 'GET' || req.method === 'DELETE' ? {} : parseJson(req) }, { version, write, headers: req.headers, identityUrl: `${this.url}/id/${this.org.orgId}/${session.userId}` });
      sendResult(res, result.status, result.body, { ...this.limitHeader(), ...(result.headers ?? {}) });
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, error.body, { ...this.limitHeader(), ...error.headers });
      if (error instanceof SaveFailure) return send(res, error.httpStatus, error.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })), this.limitHeader());
      throw error;
    }
  }

  /** The time the org's latency profile gives this call (by kind, and by its records for writes). */
  private callDelay(req: Request): number {
    if (this.latency.name === 'fast') return 0;
    const category = this.category(req.path);
    if (category === 'bulk') return callDelayMs(this.latency, 'bulk');
    if (category === 'query') return callDelayMs(this.latency, 'query');
    if (category === 'collections' || category === 'composite') {
      let records = 1;
      try {
        const body = req.body.length ? (JSON.parse(req.body.toString('utf8')) as { records?: unknown[]; compositeRequest?: unknown[]; batchRequests?: unknown[] }) : {};
        records = body.records?.length ?? body.compositeRequest?.length ?? body.batchRequests?.length ?? (req.url.searchParams.get('ids') ?? '').split(',').filter(Boolean).length ?? 1;
      } catch {
        // an unreadable body is refused by the handler, at the cost of one call
      }
      return callDelayMs(this.latency, category === 'collections' && req.method !== 'GET' ? 'collections' : 'composite', records);
    }
    return callDelayMs(this.latency, 'rest');
  }

  private limitHeader(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${this.apiUsed}/${this.dailyApiLimit}` };
  }

  private limits(): Record<string, unknown> {
    const allocation = (max: number, used = 0) => ({ Max: max, Remaining: Math.max(0, max - used) });
    return {
      ConcurrentAsyncGetReportInstances: allocation(200),
      DailyApiRequests: allocation(this.dailyApiLimit, this.apiUsed),
      DailyAsyncApexExecutions: allocation(250000),
      DailyBulkApiBatches: allocation(15000),
      DailyBulkV2QueryFileStorageMB: allocation(976562),
      DailyBulkV2QueryJobs: allocation(10000),
      DailyDeliveredPlatformEvents: allocation(50000, this.cometd.stats.delivered),
      DailyDurableStreamingApiEvents: allocation(1000000),
      DailyStreamingApiEvents: allocation(1000000),
      DataStorageMB: allocation(1024),
      FileStorageMB: allocation(2048),
      DurableStreamingApiConcurrentClients: allocation(this.cometd.options.maxClients, this.cometd.clientCount()),
      StreamingApiConcurrentClients: allocation(this.cometd.options.maxClients, this.cometd.clientCount()),
      HourlyPublishedPlatformEvents: allocation(250000),
      SingleEmail: allocation(5000),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // admin API: test and demo controls

  private async admin(req: Request, res: ServerResponse): Promise<void> {
    const parts = req.path.split('/').filter(Boolean).slice(1);
    const body = req.method === 'GET' ? {} : (parseJson(req) as Record<string, unknown>);
    const route = `${req.method} ${parts[0] ?? ''}`;
    const pubsub = this.pubsubServer();
    switch (route) {
      case 'GET health':
        return send(res, 200, { status: 'up', url: this.url, orgId: this.org.orgId, latencyProfile: this.latency.name, pubsubEndpoint: this.pubsubServer()?.endpoint || null });
      case 'GET info':
        return send(res, 200, {
          url: this.url, orgId: this.org.orgId, apiVersion: LATEST_VERSION, apps: this.oauth.options.apps.map((a) => ({ clientId: a.clientId, redirectUris: a.redirectUris })),
          users: this.users.map((u) => ({ userId: u.userId, username: u.username })),
        });
      case 'POST reset': {
        this.org.reset();
        this.bulk.reset();
        this.peakInFlight = this.inFlight.size;
        this.cometd.dropAll();
        this.pubsubServer()?.dropAll(this.pubsubTenant);
        this.pubsubTenant.refused = false;
        this.pubsubTenant.unavailableUntil = 0;
        this.pubsubTenant.redeliverOnResume = 0;
        this.resetCounters();
        this.clearFaults();
        this.users = seedUsers(this.org, (body.users as SeedUser[] | undefined) ?? this.options.users ?? DEFAULT_USERS);
        this.oauth.options.users.splice(0, this.oauth.options.users.length, ...this.users);
        const seeded = body.seed ? this.applySeed(body.seed as SeedFile) : {};
        return send(res, 200, { reset: true, ...seeded });
      }
      case 'POST seed':
        return send(res, 200, this.applySeed(body as SeedFile));
      case 'POST generate':
        return send(res, 200, generate(this.org, body as unknown as GeneratedSeed, this.users.map((u) => u.userId)));
      case 'GET records': {
        const objectName = parts[1];
        if (!objectName || !this.org.hasObject(objectName)) return send(res, 404, { error: `unknown object ${objectName}` });
        if (parts[2]) {
          const rec = this.org.get(objectName, parts[2], true);
          return rec ? send(res, 200, rec) : send(res, 404, { error: 'no such record' });
        }
        const includeDeleted = req.url.searchParams.get('includeDeleted') === 'true';
        const limit = Number(req.url.searchParams.get('limit') ?? 1000);
        const out = [];
        for (const rec of this.org.all(objectName)) {
          if (!includeDeleted && rec.IsDeleted) continue;
          out.push(rec);
          if (out.length >= limit) break;
        }
        return send(res, 200, { totalSize: this.org.count(objectName, includeDeleted), records: out });
      }
      case 'GET stats':
        return send(res, 200, {
          api: { ...this.apiUsage(), byEndpoint: this.callCounts(), inFlight: this.inFlight.size, peakInFlight: this.peakInFlight },
          records: Object.fromEntries(['Account', 'Contact', 'AccountContactRelation', 'User'].map((o) => [o, this.org.count(o)])),
          pubsub: { streams: this.pubsubStreams(), ...this.pubsubTenant.stats },
          streaming: { clients: this.cometd.clientCount(), delivered: this.cometd.stats.delivered, retained: Object.fromEntries(this.org.bus.channelNames().map((c) => [c, this.org.bus.retainedCount(c)])) },
          faults: this.faults,
          memory: process.memoryUsage(),
        });
      case 'POST counters':
        this.resetCounters();
        return send(res, 200, { reset: true });
      case 'POST act-as':
        return send(res, 200, this.actAs(body));
      case 'POST events': {
        const channel = String(body.channel ?? '');
        if (!/^\/(data|event|topic|u)\//.test(channel)) return send(res, 400, { error: 'channel must start with /data/, /event/, /topic/ or /u/' });
        const event = this.org.bus.publish(channel, (replayId) => ({ ...(body.data as Record<string, unknown> ?? { payload: body.payload ?? {} }), event: { replayId } }));
        return send(res, 200, { replayId: event.replayId });
      }
      case 'POST gap': {
        const entity = String(body.entity ?? 'Contact');
        const changeType = String(body.changeType ?? 'GAP_UPDATE');
        const recordIds = changeType === 'GAP_OVERFLOW' ? ['000000000000000AAA'] : ((body.recordIds as string[] | undefined) ?? []);
        this.org.publishChange(entity, {
          entityName: entity, recordIds, changeType, changedFields: [], changeOrigin: '', transactionKey: crypto.randomUUID(), sequenceNumber: 1,
          isTransactionEnd: true, commitTimestamp: wholeSecondNow(), commitNumber: this.org.nextCommitNumber(), commitUser: this.integrationUserId,
        }, {});
        return send(res, 200, { published: true });
      }
      case 'POST faults':
        if (body.errors !== undefined) this.faults.errors = body.errors as Faults['errors'];
        if (body.requestLimitExceeded !== undefined) this.faults.requestLimitExceeded = body.requestLimitExceeded === true;
        if (body.lockRowRate !== undefined) this.faults.lockRowRate = Number(body.lockRowRate);
        if (body.recordError !== undefined) this.faults.recordError = body.recordError as Faults['recordError'];
        if (body.dailyApiLimit !== undefined) this.dailyApiLimit = Number(body.dailyApiLimit);
        if (body.apiUsed !== undefined) this.apiUsed = Number(body.apiUsed);
        return send(res, 200, this.faults);
      case 'DELETE faults':
        this.clearFaults();
        return send(res, 200, this.faults);
      case 'POST config':
        if (body.tokenLifetimeMs !== undefined) this.oauth.setTokenLifetime(Number(body.tokenLifetimeMs));
        if (body.autoApprove !== undefined) this.oauth.options.autoApprove = body.autoApprove === true;
        if (body.contactEmailDuplicateRule !== undefined) this.org.contactEmailDuplicateRule = body.contactEmailDuplicateRule === true;
        if (body.bulkProcessingDelayMs !== undefined) this.bulk.options.processingDelayMs = Number(body.bulkProcessingDelayMs);
        if (body.cometdConnectTimeoutMs !== undefined) this.cometd.options.connectTimeoutMs = Number(body.cometdConnectTimeoutMs);
        if (body.cometdClientTimeoutMs !== undefined) this.cometd.options.clientTimeoutMs = Number(body.cometdClientTimeoutMs);
        if (body.latencyProfile !== undefined) this.latency = latencyProfile(String(body.latencyProfile));
        if (body.maxLongRunningRequests !== undefined) this.options.maxLongRunningRequests = Number(body.maxLongRunningRequests);
        // The Pub/Sub server's timings are the endpoint's, shared by every org.
        if (pubsub && body.pubsubKeepaliveMs !== undefined) pubsub.options.keepaliveMs = Number(body.pubsubKeepaliveMs);
        if (pubsub && body.pubsubIdleTimeoutMs !== undefined) pubsub.options.idleTimeoutMs = Number(body.pubsubIdleTimeoutMs);
        if (pubsub && body.pubsubDeliveryDelayMs !== undefined) pubsub.options.deliveryDelayMs = Number(body.pubsubDeliveryDelayMs);
        return send(res, 200, { ok: true });
      case 'POST sessions':
        if (parts[1] === 'expire') {
          const expired = this.oauth.expireAllSessions();
          pubsub?.revalidate(this.pubsubTenant);
          return send(res, 200, { expired });
        }
        if (parts[1] === 'revoke') {
          this.oauth.revokeAllRefreshTokens();
          pubsub?.revalidate(this.pubsubTenant);
          return send(res, 200, { revoked: true });
        }
        break;
      case 'POST cometd':
        if (parts[1] === 'drop') return send(res, 200, { dropped: this.cometd.dropAll() });
        break;
      case 'POST pubsub':
        if (!pubsub) return send(res, 404, { error: 'the emulator runs without Pub/Sub' });
        // drop: every stream ends (UNAVAILABLE, or INTERNAL service.unavailable); refuse: the org has no Pub/Sub access.
        if (parts[1] === 'drop') {
          // redeliver: N: the resumed stream also resends the last N events it had (the duplicates seen after reconnects).
          this.pubsubTenant.redeliverOnResume = Number(body.redeliver ?? 0);
          // outageMs: every call of this org fails (INTERNAL, service.unavailable) for that long.
          this.pubsubTenant.unavailableUntil = Date.now() + Number(body.outageMs ?? 0);
          return send(res, 200, { dropped: pubsub.dropAll(this.pubsubTenant, body.status === 'INTERNAL' ? 'INTERNAL' : 'UNAVAILABLE') });
        }
        if (parts[1] === 'refuse') {
          this.pubsubTenant.refused = body.refused !== false;
          if (this.pubsubTenant.refused) pubsub.revalidate(this.pubsubTenant);
          return send(res, 200, { refused: this.pubsubTenant.refused });
        }
        break;
      case 'POST fields': {
        // An admin adds a custom field: describe shows it, and change events get a new schema.
        const objectName = String(body.object ?? '');
        try {
          const def = this.org.schema.addCustomField(objectName, body.field as CustomFieldSpec);
          return send(res, 200, { added: `${objectName}.${def.name}` });
        } catch (error) {
          return send(res, 400, { error: (error as Error).message });
        }
      }
      case 'POST replay':
        if (parts[1] === 'expire') {
          this.org.bus.expireAll();
          return send(res, 200, { expired: true });
        }
        break;
    }
    send(res, 404, { error: `no admin route ${route}` });
  }

  private clearFaults(): void {
    this.faults.errors = {};
    this.faults.requestLimitExceeded = false;
    this.faults.lockRowRate = 0;
    this.faults.recordError = null;
  }

  /**
   * A sales rep (or any user) working in Salesforce: `via` picks the path and so the change events' origin,
   * `lightning` (the default: `…/soap/<version>;client=SfdcInternalAPI/`), `classic` (empty) or `core`.
   */
  private actAs(body: Record<string, unknown>): Record<string, unknown> {
    const username = body.username as string | undefined;
    const userId = (body.userId as string | undefined) ?? (username ? this.userId(username) : this.users[1]?.userId ?? this.users[0].userId);
    if (!userId || !this.org.get('User', userId)) throw restError(400, 'INVALID_USER', `unknown user ${username ?? body.userId}`);
    const via = body.via ?? 'lightning';
    if (via !== 'lightning' && via !== 'classic' && via !== 'core') throw restError(400, 'INVALID_OPERATION', `via must be lightning, classic or core, got ${String(via)}`);
    const operations = (body.operations as { op: string; object: string; id?: string; fields?: Record<string, unknown> }[]) ?? [];
    const tx = this.org.begin({ userId, api: via, apiVersion: LATEST_VERSION, client: null });
    const results: unknown[] = [];
    try {
      for (const operation of operations) {
        switch (operation.op) {
          case 'create':
            results.push({ id: this.org.insert(tx, operation.object, operation.fields ?? {}) });
            break;
          case 'update':
            this.org.update(tx, operation.object, operation.id!, operation.fields ?? {});
            results.push({ id: operation.id });
            break;
          case 'delete':
            this.org.delete(tx, operation.object, operation.id!);
            results.push({ id: operation.id });
            break;
          case 'undelete':
            this.org.undelete(tx, operation.object, operation.id!);
            results.push({ id: operation.id });
            break;
          default:
            throw restError(400, 'INVALID_OPERATION', `unknown op ${operation.op}`);
        }
      }
      this.org.commit(tx);
    } catch (error) {
      this.org.rollback(tx);
      if (error instanceof SaveFailure) throw new HttpError(400, { errors: error.errors });
      throw error;
    }
    return { userId, results };
  }
}

function sendResult(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, { 'Content-Length': body.length, ...headers });
    res.end(body);
    return;
  }
  send(res, status, body, headers);
}

/** "sobjects/Contact/003…" → "sobjects/Contact/:id": per-endpoint call counts without ids. */
function endpointKey(rest: string): string {
  return (
    rest
      .split('?')[0]
      .split('/')
      .filter(Boolean)
      .map((part) => (/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(part) && /\d/.test(part) ? ':id' : part))
      .slice(0, 4)
      .join('/') || '(resources)'
  );
}
