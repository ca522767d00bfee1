/**
 * Salesforce's audit fields (SystemModstamp, LastModifiedDate) and change events' commitTimestamp have second
 * precision. A local instant compared with them is first taken down to its second, so that nothing committed
 * later in that same second looks older than it.
 */
export function toSalesforceSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * Whether a change committed at `commitTimestamp` certainly happened before `instant` (a SystemModstamp, or a
 * local time such as when a query started). A change in the same second may be later: it is not "before".
 */
export function committedBefore(commitTimestamp: number, instant: number): boolean {
  return commitTimestamp < toSalesforceSecond(instant);
}
