import type { Server } from 'node:http';
import { EmulatedOrg, OrgSettings } from './emulated-org';
import { HttpError } from './http';
import { IdGenerator } from './ids';
import type { LatencyProfileName } from './latency';
import type { PubSubServer } from './pubsub/server';
import type { GeneratedSeed } from './seed';

/** `POST /__emulator/orgs`: how many orgs, and what each is like. */
export interface FleetOrgRequest {
  count?: number;
  /** Names are `<prefix>-<n>`; n counts on across requests. */
  prefix?: string;
  latencyProfile?: LatencyProfileName;
  /** Records made in each org (small by default: 20 accounts, 60 contacts). */
  generate?: Partial<GeneratedSeed>;
  dailyApiLimit?: number;
  autoApprove?: boolean;
  sandbox?: boolean;
}

export interface FleetOrgView {
  name: string;
  orgId: string;
  /** The org's My Domain: its login and instance URL. */
  url: string;
  latencyProfile: string;
}

/** Orgs at 127.1.0.1 … 127.1.255.255: 65,535 addresses of the loopback network. */
const MAX_ORGS = 65_535;

interface Member {
  name: string;
  host: string;
  org: EmulatedOrg;
  listener: Server | null;
}

/**
 * The further orgs one emulator hosts. Each answers on its own loopback address on the emulator's port
 * (127.1.x.y, so its URL tells it apart as a My Domain does, with nothing to resolve), has its own org id,
 * users, grants, tokens, records, describe, event bus, limits, faults and latency profile, and shares the
 * emulator's Pub/Sub endpoint, which tells orgs apart by `tenantid`.
 */
export class OrgFleet {
  private readonly members: Member[] = [];
  private readonly byHostKey = new Map<string, Member>();
  private readonly byOrgId15 = new Map<string, Member>();
  private next = 1;
  /** Org ids on a pod the demo org does not use. */
  private readonly orgIds = new IdGenerator('7f0');
  private serving: { scheme: string; port: number; wildcard: boolean } | null = null;

  /** `defaults`: what every org shares with the demo org (connected apps, token lifetime…); `listen`: a server for one more address. */
  constructor(private readonly defaults: OrgSettings, private readonly pubsub: () => PubSubServer | null, private readonly listen: () => Server) {}

  /** Where orgs are served: the emulator's scheme and port; `wildcard` when its listener takes every address. */
  serveOn(serving: { scheme: string; port: number; wildcard: boolean }): void {
    this.serving = serving;
  }

  async create(request: FleetOrgRequest): Promise<FleetOrgView[]> {
    const serving = this.serving;
    if (!serving) throw new Error('the emulator is not started');
    const count = Math.floor(Number(request.count ?? 1));
    if (!(count >= 1) || this.next + count - 1 > MAX_ORGS) throw badRequest(`count must be between 1 and ${MAX_ORGS - this.next + 1}`);
    const prefix = String(request.prefix ?? 'org');
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(prefix)) throw badRequest('prefix must be lower-case letters, digits and dashes, starting with a letter');
    const created: Member[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.next++;
      const address = `127.1.${index >> 8}.${index & 255}`;
      const host = `${address}:${serving.port}`;
      const url = `${serving.scheme}://${host}`;
      const name = `${prefix}-${index}`;
      const org = new EmulatedOrg({
        ...this.defaults, seed: undefined, orgId: this.orgIds.next('00D'), name,
        latencyProfile: request.latencyProfile ?? this.defaults.latencyProfile,
        dailyApiLimit: request.dailyApiLimit ?? this.defaults.dailyApiLimit,
        autoApprove: request.autoApprove ?? this.defaults.autoApprove,
        sandbox: request.sandbox ?? false,
      }, () => url, this.pubsub);
      org.applySeed({ generate: { accounts: 20, contacts: 60, relationships: 0, contactsWithoutEmail: 0, accountsWithoutExternalId: 0, ...request.generate } });
      const listener = serving.wildcard ? null : await this.listenOn(address, serving.port);
      const member = { name, host, org, listener };
      this.members.push(member);
      this.byHostKey.set(host, member);
      this.byOrgId15.set(org.org.orgId.slice(0, 15), member);
      created.push(member);
    }
    return created.map(view);
  }

  byHost(host: string): EmulatedOrg | undefined {
    return this.byHostKey.get(host)?.org;
  }

  byOrgId(orgId15: string): EmulatedOrg | undefined {
    return this.byOrgId15.get(orgId15)?.org;
  }

  /** Every org, or the one named, with its API usage and streams. */
  describe(name?: string): (FleetOrgView & { api: { used: number; max: number }; streams: { cometd: number; pubsub: number } })[] {
    return this.members
      .filter((m) => !name || m.name === name)
      .map((m) => ({ ...view(m), api: m.org.apiUsage(), streams: { cometd: m.org.cometd.clientCount(), pubsub: m.org.pubsubStreams() } }));
  }

  async removeAll(): Promise<number> {
    const members = this.members.splice(0);
    this.byHostKey.clear();
    this.byOrgId15.clear();
    await Promise.all(members.map(async (m) => {
      m.org.close();
      const listener = m.listener;
      if (!listener) return;
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }));
    return members.length;
  }

  private async listenOn(address: string, port: number): Promise<Server> {
    const server = this.listen();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    return server;
  }
}

function view(member: Member): FleetOrgView {
  return { name: member.name, orgId: member.org.org.orgId, url: member.org.url, latencyProfile: member.org.latency.name };
}

function badRequest(message: string): HttpError {
  return new HttpError(400, { error: message });
}
