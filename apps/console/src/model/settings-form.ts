import type { Connection, JournyType, SalesforceField } from './api-types';

type Settings = Connection['settings'];

/** What the Settings panel edits: the three tabs of the product document, as the API holds them, side by side. */
export type SettingsForm = Pick<Connection, 'name' | 'enabled'> &
  Pick<Settings, 'accountExternalIdField'> &
  Settings['source'] &
  Omit<Settings['destination'], 'defaultContactMappings' | 'defaultAccountMappings'>;

export function formOf(connection: Connection): SettingsForm {
  const { settings } = connection;
  return {
    name: connection.name,
    enabled: connection.enabled,
    accountExternalIdField: settings.accountExternalIdField,
    ongoingImport: settings.source.ongoingImport,
    changeStream: settings.source.changeStream,
    userSegments: [...settings.destination.userSegments],
    accountSegments: [...settings.destination.accountSegments],
    createContacts: settings.destination.createContacts,
    createAccounts: settings.destination.createAccounts,
    contactMappings: settings.destination.contactMappings.map((m) => ({ ...m })),
    accountMappings: settings.destination.accountMappings.map((m) => ({ ...m })),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The PATCH body for what changed since `connection` was read, with its revision (a save over someone else's
 * newer one is refused with 409, nothing overwritten); null when nothing changed.
 */
export function patchOf(connection: Connection, form: SettingsForm): Record<string, unknown> | null {
  const before = formOf(connection);
  const patch: Record<string, unknown> = {};
  if (form.name.trim() !== before.name) patch.name = form.name.trim();
  if (form.enabled !== before.enabled) patch.enabled = form.enabled;
  if (form.accountExternalIdField !== before.accountExternalIdField) patch.accountExternalIdField = form.accountExternalIdField;
  const source: Record<string, unknown> = {};
  if (form.ongoingImport !== before.ongoingImport) source.ongoingImport = form.ongoingImport;
  if (form.changeStream !== before.changeStream) source.changeStream = form.changeStream;
  if (Object.keys(source).length > 0) patch.source = source;
  const destination: Record<string, unknown> = {};
  for (const key of ['userSegments', 'accountSegments', 'createContacts', 'createAccounts', 'contactMappings', 'accountMappings'] as const) {
    if (!same(form[key], before[key])) destination[key] = form[key];
  }
  if (Object.keys(destination).length > 0) patch.destination = destination;
  if (Object.keys(patch).length === 0) return null;
  return { expectedRevision: connection.revision, ...patch };
}

/** Whether a Salesforce field takes a journy type, and why not when it does not. */
export function fitOf(field: SalesforceField | undefined, type: JournyType): { ok: boolean; why: string | null } {
  if (!field) return { ok: false, why: 'the org has no such field' };
  if (!field.mappable) return { ok: false, why: `${field.name} (${field.type}) cannot be written by the connector` };
  if (!field.accepts.includes(type)) return { ok: false, why: `${field.name} (${field.type}) does not accept ${type}; it accepts ${field.accepts.join(', ') || 'nothing'}` };
  return { ok: true, why: null };
}

/** The Account fields the External ID for Accounts may be. */
export function externalIdCandidates(fields: SalesforceField[]): SalesforceField[] {
  return fields.filter((f) => f.canServeAsAccountId).sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * The person's edits (what differs from the settings they opened) applied to newer settings someone else saved:
 * their changes win where they made one, the newer settings stay everywhere else.
 */
export function rebase(form: SettingsForm, opened: Connection, latest: Connection): SettingsForm {
  const before = formOf(opened);
  const next = formOf(latest);
  for (const key of Object.keys(form) as (keyof SettingsForm)[]) {
    if (!same(form[key], before[key])) (next as unknown as Record<string, unknown>)[key] = form[key];
  }
  return next;
}

export type SettingsTab = 'connection' | 'source' | 'destination';

/** The tab holding a field the API named in an error. */
export function tabOf(field: string | null): SettingsTab | null {
  if (!field) return null;
  if (field.startsWith('source')) return 'source';
  if (field.startsWith('destination')) return 'destination';
  if (['name', 'enabled', 'accountExternalIdField', 'expectedRevision'].includes(field)) return 'connection';
  return null;
}
