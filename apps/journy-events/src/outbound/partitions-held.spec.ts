import { PartitionsHeld } from './partitions-held';

describe('partitions held across rebalances', () => {
  it('gains every partition of the first assignment', () => {
    expect(new PartitionsHeld().assign([0, 1])).toBe(true);
  });

  it('gains nothing when a member only gives partitions away (another joined)', () => {
    const held = new PartitionsHeld();
    held.assign([0, 1, 2, 3]);
    expect(held.assign([0, 1])).toBe(false);
    expect(held.assign([0, 1])).toBe(false);
  });

  it('gains a partition it gave away before and takes back (another left)', () => {
    const held = new PartitionsHeld();
    held.assign([0, 1, 2, 3]);
    held.assign([0, 1]);
    expect(held.assign([0, 1, 3])).toBe(true);
  });

  it('holds every partition before its first assignment, then those of the latest', () => {
    const held = new PartitionsHeld();
    expect(held.partitions).toBeNull();
    held.assign([2, 0]);
    held.assign([2]);
    expect(held.partitions).toEqual([2]);
  });

  it('has joined once an assignment has come, even an empty one', () => {
    const held = new PartitionsHeld();
    expect(held.joined).toBe(false);
    held.assign([]);
    expect(held.joined).toBe(true);
  });

  it('gains nothing from an empty assignment', () => {
    const held = new PartitionsHeld();
    held.assign([0]);
    expect(held.assign([])).toBe(false);
  });
});
