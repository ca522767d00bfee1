import { processedBefore, streamStart } from './stream-start';

const none = { source: null, replayId: null, preset: null, commitTimestamp: null, commitNumber: null, sequenceNumber: null } as const;

describe('where a change stream starts', () => {
  it('resumes after its own replay id', () => {
    expect(streamStart({ ...none, source: 'pubsub', replayId: 'AAAAAAAAA+g=', commitTimestamp: 5 }, 'pubsub')).toEqual({ replay: { replayId: 'AAAAAAAAA+g=' }, floor: null, handover: null });
    expect(streamStart({ ...none, source: 'cometd', replayId: '1001' }, 'cometd')).toEqual({ replay: { replayId: '1001' }, floor: null, handover: null });
  });

  it('after the other source, replays all retained from the last processed commit', () => {
    const stored = { ...none, source: 'cometd' as const, replayId: '1001', commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 };
    expect(streamStart(stored, 'pubsub')).toEqual({ replay: 'EARLIEST', floor: null, handover: { commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 } });
  });

  it('a preset: all retained above a floor, or the tip', () => {
    expect(streamStart({ ...none, preset: 'EARLIEST', commitTimestamp: 42 }, 'pubsub')).toEqual({ replay: 'EARLIEST', floor: 42, handover: null });
    expect(streamStart({ ...none, preset: 'LATEST', commitTimestamp: 42 }, 'cometd')).toEqual({ replay: 'LATEST', floor: null, handover: null });
  });
});

describe('what the other source already processed', () => {
  const handover = { commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 };
  it('goes by the commit number, then the place in the transaction', () => {
    expect(processedBefore({ commitTimestamp: 1000, commitNumber: 76, sequenceNumber: 9 }, handover)).toBe(true);
    expect(processedBefore({ commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 }, handover)).toBe(true);
    expect(processedBefore({ commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 3 }, handover)).toBe(false);
    expect(processedBefore({ commitTimestamp: 1000, commitNumber: 78, sequenceNumber: 1 }, handover)).toBe(false);
  });
  it('without a commit number, only what was committed strictly earlier', () => {
    const byTime = { commitTimestamp: 1000, commitNumber: null, sequenceNumber: null };
    expect(processedBefore({ commitTimestamp: 999, commitNumber: 5, sequenceNumber: 1 }, byTime)).toBe(true);
    expect(processedBefore({ commitTimestamp: 1000, commitNumber: 5, sequenceNumber: 1 }, byTime)).toBe(false);
    expect(processedBefore(undefined, handover)).toBe(false);
  });
});
