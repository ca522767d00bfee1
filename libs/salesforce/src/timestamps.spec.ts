import { committedBefore, toSalesforceSecond } from './timestamps';

describe('Salesforce timestamps (second precision)', () => {
  const second = Date.parse('2026-12-01T10:00:05.000Z');

  it('takes a local instant down to its second', () => {
    expect(toSalesforceSecond(second + 999)).toBe(second);
    expect(toSalesforceSecond(second)).toBe(second);
  });

  it('counts a change as before an instant only when it was committed in an earlier second', () => {
    expect(committedBefore(second - 1000, second)).toBe(true);
    // The snapshot's own second: the change may be newer than what the snapshot read.
    expect(committedBefore(second, second)).toBe(false);
    // A floor taken at .700 inside a second: a change committed at .900 carries that second and is not older.
    expect(committedBefore(second, second + 700)).toBe(false);
    expect(committedBefore(second + 1000, second)).toBe(false);
  });
});
