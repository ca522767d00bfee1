/**
 * The profile-event partitions this member holds, across rebalances. Only the holder of a partition writes its
 * entities, so memory of them stays true while the member keeps the partition; a partition gained may have been
 * written by another member meanwhile.
 */
export class PartitionsHeld {
  private held = new Set<number>();
  private assigned = false;

  /** The partitions held now; null before the first assignment (all of them, as far as this member knows). */
  get partitions(): number[] | null {
    return this.assigned ? [...this.held] : null;
  }

  /** Whether an assignment has come. Before it the member replays no parked events: the partitions' holders do. */
  get joined(): boolean {
    return this.assigned;
  }

  /** Takes the partitions of a new assignment; true when it holds one that the last assignment did not. */
  assign(partitions: number[]): boolean {
    const gained = partitions.some((p) => !this.held.has(p));
    this.held = new Set(partitions);
    this.assigned = true;
    return gained;
  }
}
