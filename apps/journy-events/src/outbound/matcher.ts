import type { ContactMatch } from './membership-planner';

/** A record-level decision that writes nothing: skipped (a setting or the data says so) or failed (it cannot be). */
export interface Refusal {
  kind: 'refuse';
  status: 'SKIPPED' | 'FAILED';
  reason: string;
  message: string;
}

const skip = (reason: string, message: string): Refusal => ({ kind: 'refuse', status: 'SKIPPED', reason, message });

/**
 * An account before any lookup: linked → update that record; no External ID field or no journy account id →
 * it cannot be matched; otherwise it is looked up by the External ID field.
 */
export function matchLinkedAccount(account: { linkedId: string | null | undefined; externalIdField: string | null; accountId: string | null }): { kind: 'update'; salesforceId: string } | { kind: 'lookup' } | Refusal {
  if (account.linkedId) return { kind: 'update', salesforceId: account.linkedId };
  if (!account.externalIdField) return skip('NO_EXTERNAL_ID_FIELD', 'the connection has no External ID field for accounts: accounts cannot be matched');
  if (!account.accountId) return skip('MISSING_KEY', 'the account has no journy account id to match on');
  return { kind: 'lookup' };
}

/** An account by what the lookup found: one → update it; several → no guess; none → create (upsert), if allowed. */
export function matchFoundAccount(account: { found: string[]; externalIdField: string; accountId: string; createAccounts: boolean }): { kind: 'update'; salesforceId: string } | { kind: 'create' } | Refusal {
  if (account.found.length === 1) return { kind: 'update', salesforceId: account.found[0] };
  if (account.found.length > 1) return skip('AMBIGUOUS_MATCH', `${account.found.length} accounts have ${account.externalIdField} = ${account.accountId}: not guessing`);
  if (!account.createAccounts) return skip('CREATE_NOT_ALLOWED', `no account has ${account.externalIdField} = ${account.accountId}, and creating accounts is off`);
  return { kind: 'create' };
}

/** Who a user's contact is, from the contacts a lookup by email found (Id, AccountId). */
export function contactFromLookup(found: Record<string, unknown>[]): ContactMatch {
  if (found.length === 1) return { id: found[0].Id as string, accountSfId: (found[0].AccountId as string | null) ?? null, ambiguous: 0 };
  return { id: null, accountSfId: null, ambiguous: found.length > 1 ? found.length : 0 };
}

/**
 * A user's contact write: an ambiguous email, no email, or one longer than Contact.Email holds cannot match;
 * with nothing to write it is settled as is; a matched contact is updated; otherwise one is created, if allowed.
 */
export function matchContact(user: { contact: ContactMatch | undefined; email: string | null; emailMaxLength: number; hasFields: boolean; createContacts: boolean }): { kind: 'update'; salesforceId: string } | { kind: 'create' } | { kind: 'unchanged'; salesforceId: string | null } | Refusal {
  const { contact } = user;
  const email = user.email?.trim() ?? null;
  if (contact?.ambiguous) return skip('AMBIGUOUS_MATCH', `${contact.ambiguous} contacts have the email ${user.email}: not guessing`);
  if (!contact?.id && !email) return skip('MISSING_KEY', 'the user has no email to match a contact on');
  if (!contact?.id && email!.length > user.emailMaxLength) {
    return { kind: 'refuse', status: 'FAILED', reason: 'INVALID_IDENTIFIER', message: `the email is ${email!.length} characters long: no contact can have it (Contact.Email holds ${user.emailMaxLength})` };
  }
  if (!user.hasFields) return { kind: 'unchanged', salesforceId: contact?.id ?? null };
  if (contact?.id) return { kind: 'update', salesforceId: contact.id };
  if (!user.createContacts) return skip('CREATE_NOT_ALLOWED', `no contact has the email ${user.email}, and creating contacts is off`);
  return { kind: 'create' };
}
