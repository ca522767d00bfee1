import type { ProcessedCommit, StreamOffset } from '@connector/persistence';
import type { ReplayFrom, StreamSource } from '@connector/salesforce';

/**
 * Where a connection's change stream starts on a source, from its stored offset:
 * - the source's own replay id: right after it;
 * - another source's replay id (the setting changed, or Pub/Sub was refused): the tip, once the records changed
 *   since the last processed commit are read again (the ids of one source do not resume the other, and replaying
 *   the whole retention window would cost minutes and the org's delivery allocation);
 * - EARLIEST with a floor (a first start, a recovery): all retained, events committed before the floor logged
 *   and not applied;
 * - otherwise the tip.
 */
export interface StreamStart {
  replay: ReplayFrom;
  /** Events committed before this time are not this stream's to apply (logged OLDER_THAN_STREAM_START). */
  floor: number | null;
  /** Moving from the other source: records changed since this commit are read again before live events apply. */
  handover: ProcessedCommit | null;
}

export function streamStart(stored: Pick<StreamOffset, 'source' | 'replayId' | 'preset' | 'commitTimestamp' | 'commitNumber' | 'sequenceNumber'>, source: StreamSource): StreamStart {
  if (stored.source === source && stored.replayId !== null) return { replay: { replayId: stored.replayId }, floor: null, handover: null };
  if (stored.source !== null && stored.replayId !== null) {
    return { replay: 'LATEST', floor: null, handover: { commitTimestamp: stored.commitTimestamp, commitNumber: stored.commitNumber, sequenceNumber: stored.sequenceNumber } };
  }
  if (stored.preset === 'EARLIEST') return { replay: 'EARLIEST', floor: stored.commitTimestamp, handover: null };
  return { replay: 'LATEST', floor: null, handover: null };
}
