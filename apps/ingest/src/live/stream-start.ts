import type { ProcessedCommit, StreamOffset } from '@connector/persistence';
import type { ChangeEventHeader, ReplayFrom, StreamSource } from '@connector/salesforce';

/**
 * Where a connection's change stream starts on a source, from its stored offset:
 * - the source's own replay id: right after it;
 * - another source's replay id (the setting changed, or Pub/Sub was refused): all retained, dropping what the
 *   other source already processed (the hand-over point is the last processed commit, not a replay id, as the
 *   ids of one source do not resume the other);
 * - EARLIEST with a floor (a first start, a recovery): all retained, events committed before the floor logged
 *   and not applied;
 * - otherwise the tip.
 */
export interface StreamStart {
  replay: ReplayFrom;
  /** Events committed before this time are not this stream's to apply (logged OLDER_THAN_STREAM_START). */
  floor: number | null;
  /** Events up to this commit were processed through the other source: dropped until the first newer one. */
  handover: ProcessedCommit | null;
}

export function streamStart(stored: Pick<StreamOffset, 'source' | 'replayId' | 'preset' | 'commitTimestamp' | 'commitNumber' | 'sequenceNumber'>, source: StreamSource): StreamStart {
  if (stored.source === source && stored.replayId !== null) return { replay: { replayId: stored.replayId }, floor: null, handover: null };
  if (stored.source !== null && stored.replayId !== null) {
    return { replay: 'EARLIEST', floor: null, handover: { commitTimestamp: stored.commitTimestamp, commitNumber: stored.commitNumber, sequenceNumber: stored.sequenceNumber } };
  }
  if (stored.preset === 'EARLIEST') return { replay: 'EARLIEST', floor: stored.commitTimestamp, handover: null };
  return { replay: 'LATEST', floor: null, handover: null };
}

/**
 * Whether an event was already processed through the other source: its transaction came before the hand-over
 * commit, or it is that transaction's event at or before the hand-over's place in it. Without commit numbers, only
 * what was committed strictly earlier counts (an event in the same second is applied again rather than lost).
 */
export function processedBefore(header: Pick<ChangeEventHeader, 'commitTimestamp' | 'commitNumber' | 'sequenceNumber'> | undefined, handover: ProcessedCommit): boolean {
  if (!header) return false;
  if (handover.commitNumber !== null && typeof header.commitNumber === 'number') {
    if (header.commitNumber !== handover.commitNumber) return header.commitNumber < handover.commitNumber;
    return (header.sequenceNumber ?? 0) <= (handover.sequenceNumber ?? 0);
  }
  return handover.commitTimestamp !== null && typeof header.commitTimestamp === 'number' && header.commitTimestamp < handover.commitTimestamp;
}
