import type { MembershipChange } from '../model/plan';
import { entityKey } from '../model/profile-event';

/** Who a user's contact is in Salesforce, as the matcher found it. */
export interface ContactMatch {
  id: string | null;
  /** The account the contact is attached to (Contact.AccountId), when a lookup read it. */
  accountSfId: string | null;
  /** More than one contact has the user's email: how many. */
  ambiguous: number;
}

/** Contact.AccountId to set on a contact (null: detach), with the events that asked for it. */
export interface Attachment {
  accountId: string | null;
  accountSfId: string | null;
  eventIds: string[];
}

export interface MembershipPlan {
  /** By user key: the primary account to set on the contact. */
  attach: Map<string, Attachment>;
  /** Secondary account relations (AccountContactRelation) to create (ADD) or delete (REMOVE). */
  relations: { change: MembershipChange; contactId: string; accountSfId: string }[];
  /** Changes that cannot be applied, with why. */
  skipped: { change: MembershipChange; contactId: string | null; reason: 'NOT_LINKED'; message: string }[];
}

/**
 * Decides how each membership change reaches Salesforce. A contact's primary account (Contact.AccountId) is
 * the membership journy-events set, or the one the contact already has; an ADD to a contact with no account
 * attaches it; any other account is a secondary relation. A REMOVE of the primary account detaches the
 * contact; of another, deletes that relation. A user without a contact, or an account without a Salesforce
 * account, is skipped.
 */
export function planMemberships(
  changes: MembershipChange[],
  known: { contactOf: (userKey: string) => ContactMatch | undefined; accountSfIdOf: (accountId: string) => string | undefined; primaryAccountOf: (userKey: string) => string | null },
): MembershipPlan {
  const plan: MembershipPlan = { attach: new Map(), relations: [], skipped: [] };
  for (const change of changes) {
    const userKey = entityKey({ entityType: 'USER', entity: change.user });
    const contact = userKey ? known.contactOf(userKey) : undefined;
    const accountSfId = change.account.accountId ? known.accountSfIdOf(change.account.accountId) : undefined;
    if (!userKey || !contact?.id) {
      plan.skipped.push({ change, contactId: null, reason: 'NOT_LINKED', message: 'the user has no Salesforce contact' });
      continue;
    }
    if (!accountSfId) {
      plan.skipped.push({ change, contactId: contact.id, reason: 'NOT_LINKED', message: `account ${change.account.accountId ?? change.account.domain} has no Salesforce account` });
      continue;
    }
    const primary = known.primaryAccountOf(userKey);
    const isPrimary = primary === change.account.accountId || contact.accountSfId === accountSfId;
    if (change.op === 'ADD') {
      if (isPrimary || (primary === null && contact.accountSfId === null)) plan.attach.set(userKey, { accountId: change.account.accountId, accountSfId, eventIds: [change.eventId] });
      else plan.relations.push({ change, contactId: contact.id, accountSfId });
    } else if (isPrimary) {
      plan.attach.set(userKey, { accountId: null, accountSfId: null, eventIds: [change.eventId] });
    } else {
      plan.relations.push({ change, contactId: contact.id, accountSfId });
    }
  }
  return plan;
}
