import { ValidationError, tenantId as checkTenantId } from '@connector/domain';
import type { ProfileEvent } from '@connector/kafka';
import type { JournyValue } from '@connector/mapping';

export type { ProfileEvent };
export type EntityKind = ProfileEvent['entityType'];

/**
 * Checks a decoded profile event at the boundary: a tenant id of the right shape and an entity that names
 * itself (a user by userId or email, an account by accountId or domain). Anything else can never be applied:
 * a ValidationError sends it to the DLQ. The value comes back as plain data (Avro records become objects).
 */
export function validateProfileEvent(raw: unknown): ProfileEvent {
  const event = JSON.parse(JSON.stringify(raw)) as ProfileEvent;
  try {
    checkTenantId(event.tenantId);
  } catch (error) {
    throw new ValidationError('UNKNOWN_TENANT', `profile event ${event.eventId}: ${(error as Error).message}`, { field: 'tenantId' });
  }
  if (entityKey(event) === null) {
    const names = event.entityType === 'USER' ? 'userId or email' : 'accountId or domain';
    throw new ValidationError('MISSING_IDENTIFIER', `profile event ${event.eventId} of a ${event.entityType} has neither ${names}`, { field: 'entity' });
  }
  return event;
}

/** How an entity is known across events: journy's id when it has one, else the email / domain. */
export function entityKey(event: Pick<ProfileEvent, 'entityType' | 'entity'>): string | null {
  const { entity } = event;
  if (event.entityType === 'USER') return entity.userId ? `u:${entity.userId}` : entity.email ? `e:${entity.email.trim().toLowerCase()}` : null;
  return entity.accountId ? `a:${entity.accountId}` : entity.domain ? `d:${entity.domain.trim().toLowerCase()}` : null;
}

export type Payload =
  | { type: 'PropertiesChanged'; changes: { name: string; current: JournyValue }[]; snapshot: Record<string, JournyValue> | null }
  | { type: 'SegmentEntered' | 'SegmentLeft'; segmentId: string; segmentName: string | null }
  | { type: 'MembershipAdded' | 'MembershipRemoved'; member: ProfileEvent['entity'] }
  | { type: 'EntityDeleted'; reason: string | null };

/** The event's payload without the Avro union wrapper. */
export function payloadOf(event: ProfileEvent): Payload {
  const [name, body] = Object.entries(event.payload)[0] as [string, Record<string, unknown>];
  const type = name.replace(/^journy\./, '');
  switch (type) {
    case 'PropertiesChanged':
      return { type, changes: (body.changes as { name: string; current: JournyValue }[]).map((c) => ({ name: c.name, current: c.current ?? null })), snapshot: (body.snapshot as Record<string, JournyValue> | null) ?? null };
    case 'SegmentEntered': case 'SegmentLeft':
      return { type, segmentId: String(body.segmentId), segmentName: (body.segmentName as string | null) ?? null };
    case 'MembershipAdded': case 'MembershipRemoved':
      return { type, member: body.member as ProfileEvent['entity'] };
    default:
      return { type: 'EntityDeleted', reason: (body.reason as string | null) ?? null };
  }
}
