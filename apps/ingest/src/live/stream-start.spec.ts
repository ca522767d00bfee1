import { streamStart } from './stream-start';

const none = { source: null, replayId: null, preset: null, commitTimestamp: null, commitNumber: null, sequenceNumber: null } as const;

describe('where a change stream starts', () => {
  it('resumes after its own replay id', () => {
    expect(streamStart({ ...none, source: 'pubsub', replayId: 'AAAAAAAAA+g=', commitTimestamp: 5 }, 'pubsub')).toEqual({ replay: { replayId: 'AAAAAAAAA+g=' }, floor: null, handover: null });
    expect(streamStart({ ...none, source: 'cometd', replayId: '1001' }, 'cometd')).toEqual({ replay: { replayId: '1001' }, floor: null, handover: null });
  });

  it('after the other source, follows the tip once what changed since the last processed commit is read again', () => {
    const stored = { ...none, source: 'cometd' as const, replayId: '1001', commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 };
    expect(streamStart(stored, 'pubsub')).toEqual({ replay: 'LATEST', floor: null, handover: { commitTimestamp: 1000, commitNumber: 77, sequenceNumber: 2 } });
  });

  it('a preset: all retained above a floor, or the tip', () => {
    expect(streamStart({ ...none, preset: 'EARLIEST', commitTimestamp: 42 }, 'pubsub')).toEqual({ replay: 'EARLIEST', floor: 42, handover: null });
    expect(streamStart({ ...none, preset: 'LATEST', commitTimestamp: 42 }, 'cometd')).toEqual({ replay: 'LATEST', floor: null, handover: null });
  });
});
