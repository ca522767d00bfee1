import type { ProfileEvent, PropertyChange } from '@connector/kafka';
import { profileEventKey } from '@connector/domain';
import { randomUUID } from 'node:crypto';

/** Who exists on the journy side: users (by email, optionally of an account) and accounts (by journy account id). */
export interface Population {
  users: { userId: string; email: string; accountId: string | null }[];
  accounts: { accountId: string; domain: string | null }[];
}

/** Shares of each kind of event (normalised; the defaults resemble a product-led SaaS's traffic). */
export interface EventMix {
  userProperties: number;
  userScores: number;
  accountProperties: number;
  accountScores: number;
  segmentMoves: number;
  memberships: number;
}

export const DEFAULT_MIX: EventMix = { userProperties: 0.35, userScores: 0.3, accountProperties: 0.1, accountScores: 0.15, segmentMoves: 0.07, memberships: 0.03 };

export interface SimulatorOptions {
  tenantId: string;
  population: Population;
  segments?: string[];
  mix?: Partial<EventMix>;
  randomSeed?: number;
}

/**
 * The simulator's properties mapped onto the demo org's custom fields (the emulator's DEMO_CUSTOM_FIELDS): the
 * mappings the local run and the benchmark give their connection.
 */
export const DEMO_ORG_MAPPINGS = {
  contactMappings: [
    { journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' },
    { journyProperty: 'stage', journyType: 'string', salesforceField: 'Stage__c' },
    { journyProperty: 'last_active', journyType: 'datetime', salesforceField: 'Last_Active__c' },
    { journyProperty: 'interests', journyType: 'string_array', salesforceField: 'Interests__c' },
  ],
  accountMappings: [
    { journyProperty: 'health_score', journyType: 'number', salesforceField: 'Health_Score__c' },
    { journyProperty: 'lifecycle_stage', journyType: 'string', salesforceField: 'Lifecycle_Stage__c' },
    { journyProperty: 'mrr', journyType: 'number', salesforceField: 'MRR__c' },
    { journyProperty: 'seats', journyType: 'number', salesforceField: 'Seats__c' },
    { journyProperty: 'is_paying', journyType: 'boolean', salesforceField: 'Is_Paying__c' },
  ],
};

const STAGES = ['Lead', 'Trial', 'Customer', 'Advocate'];
const LIFECYCLE = ['Trial', 'Onboarding', 'Active', 'At Risk', 'Churned'];
const INTERESTS = ['Analytics', 'Automation', 'Integrations', 'Security'];
const FIRST = ['Ada', 'Brent', 'Chloé', 'Dries', 'Elise', 'Femke', 'Gust', 'Hanne'];

/**
 * A stand-in for journy: realistic profile events (property edits, computed scores and health, stages,
 * segment moves, memberships) over a fixed population, each entity's versions increasing, keyed as journy
 * keys them. Deterministic for a seed, so tests can predict the final state.
 */
export class JournySimulator {
  private readonly versions = new Map<string, number>();
  private readonly segmentsOf = new Map<string, Set<string>>();
  private readonly random: () => number;
  private readonly mix: EventMix;
  private readonly segments: string[];

  constructor(private readonly options: SimulatorOptions) {
    this.random = prng(options.randomSeed ?? 7);
    this.mix = { ...DEFAULT_MIX, ...options.mix };
    this.segments = options.segments ?? ['seg-paying', 'seg-trial', 'seg-champions'];
  }

  /** The next event by the mix. */
  next(): { key: string; value: ProfileEvent } {
    const total = Object.values(this.mix).reduce((a, b) => a + b, 0);
    let roll = this.random() * total;
    for (const [kind, share] of Object.entries(this.mix) as [keyof EventMix, number][]) {
      roll -= share;
      if (roll <= 0) return this.of(kind);
    }
    return this.of('userProperties');
  }

  of(kind: keyof EventMix): { key: string; value: ProfileEvent } {
    const { users, accounts } = this.options.population;
    const user = users.length ? users[Math.floor(this.random() * users.length)] : null;
    const account = accounts.length ? accounts[Math.floor(this.random() * accounts.length)] : null;
    switch (kind) {
      case 'userProperties':
        return this.userEvent(user!, { 'journy.PropertiesChanged': { changes: [change('first_name', this.pick(FIRST)), change('phone', `+32 470 ${String(Math.floor(this.random() * 1e6)).padStart(6, '0')}`), change('stage', this.pick(STAGES)), change('interests', [this.pick(INTERESTS), this.pick(INTERESTS)])], snapshot: null } });
      case 'userScores':
        return this.userEvent(user!, { 'journy.PropertiesChanged': { changes: [change('engagement_score', round(this.random() * 100), true), change('last_active', { iso: new Date(Date.now() - Math.floor(this.random() * 86_400_000)).toISOString() }, true)], snapshot: null } });
      case 'accountProperties':
        return this.accountEvent(account!, { 'journy.PropertiesChanged': { changes: [change('lifecycle_stage', this.pick(LIFECYCLE)), change('seats', Math.floor(this.random() * 500)), change('is_paying', this.random() < 0.6)], snapshot: null } });
      case 'accountScores':
        return this.accountEvent(account!, { 'journy.PropertiesChanged': { changes: [change('health_score', round(this.random() * 100), true), change('mrr', round(this.random() * 20_000), true)], snapshot: null } });
      case 'segmentMoves': {
        const segment = this.pick(this.segments);
        const useUser = this.random() < 0.5 || !account;
        const key = useUser ? `USER:${user!.userId}` : `ACCOUNT:${account!.accountId}`;
        const current = this.segmentsOf.get(key) ?? new Set<string>();
        const entering = !current.has(segment);
        if (entering) current.add(segment); else current.delete(segment);
        this.segmentsOf.set(key, current);
        const payload = entering ? { 'journy.SegmentEntered': { segmentId: segment, segmentName: segment } } : { 'journy.SegmentLeft': { segmentId: segment, segmentName: segment } };
        return useUser ? this.userEvent(user!, payload) : this.accountEvent(account!, payload);
      }
      case 'memberships': {
        if (!account) return this.of('userProperties');
        return this.userEvent(user!, { 'journy.MembershipAdded': { member: { userId: null, email: null, accountId: account.accountId, domain: account.domain } } });
      }
    }
  }

  userEvent(user: Population['users'][number], payload: ProfileEvent['payload'], origin: ProfileEvent['origin'] = { kind: 'COMPUTED', connectorId: null, connectionId: null }): { key: string; value: ProfileEvent } {
    const key = `USER:${user.userId}`;
    return {
      key: profileEventKey(this.options.tenantId, 'USER', user.userId),
      value: this.event('USER', { userId: user.userId, email: user.email, accountId: null, domain: null }, key, payload, origin),
    };
  }

  accountEvent(account: Population['accounts'][number], payload: ProfileEvent['payload'], origin: ProfileEvent['origin'] = { kind: 'COMPUTED', connectorId: null, connectionId: null }): { key: string; value: ProfileEvent } {
    const key = `ACCOUNT:${account.accountId}`;
    return {
      key: profileEventKey(this.options.tenantId, 'ACCOUNT', account.accountId),
      value: this.event('ACCOUNT', { userId: null, email: null, accountId: account.accountId, domain: account.domain }, key, payload, origin),
    };
  }

  private event(entityType: ProfileEvent['entityType'], entity: ProfileEvent['entity'], key: string, payload: ProfileEvent['payload'], origin: ProfileEvent['origin']): ProfileEvent {
    const version = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, version);
    return {
      eventId: randomUUID(), tenantId: this.options.tenantId, occurredAt: Date.now(), entityType, entity, entityVersion: version, origin,
      segments: [...(this.segmentsOf.get(key) ?? [])], payload,
    };
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
}

function change(name: string, current: PropertyChange['current'], computed = false): PropertyChange {
  return { name, previous: null, current, computed };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A small seeded generator (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The journy population matching an emulator org: its contacts (by email) and accounts (by journy account id). */
export async function populationFromEmulator(emulatorUrl: string, limits: { users: number; accounts: number }): Promise<Population> {
  const get = async (path: string) => {
    const response = await fetch(`${emulatorUrl}/__emulator/${path}`);
    if (!response.ok) throw new Error(`emulator ${path}: ${response.status}`);
    return ((await response.json()) as { records: Record<string, unknown>[] }).records;
  };
  const accounts = (await get(`records/Account?limit=${limits.accounts}`)).filter((a) => a.Journy_Account_Id__c);
  const accountOf = new Map(accounts.map((a) => [a.Id as string, a.Journy_Account_Id__c as string]));
  const contacts = (await get(`records/Contact?limit=${limits.users}`)).filter((c) => c.Email);
  return {
    users: contacts.map((c, i) => ({ userId: `usr-${i + 1}`, email: String(c.Email), accountId: accountOf.get(c.AccountId as string) ?? null })),
    accounts: accounts.map((a) => ({ accountId: String(a.Journy_Account_Id__c), domain: typeof a.Website === 'string' ? a.Website.replace(/^https?:\/\/(www\.)?/, '').replace(/\/.*$/, '') : null })),
  };
}
