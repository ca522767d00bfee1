import { EventEmitter } from 'node:events';
import type { ChangeEvent } from '../change-events';
import type { SalesforceSession } from '../session';
import type { PubSubChannel } from './pubsub-channel';
import { PubSubStream } from './pubsub-stream';
import type { FetchRequest, FetchResponse } from './service';

/** A Subscribe call that records what the stream asks for and lets the test answer. */
class FakeCall extends EventEmitter {
  readonly requests: FetchRequest[] = [];
  write(request: FetchRequest): boolean {
    this.requests.push(request);
    return true;
  }
  cancel(): void {
    this.emit('end');
  }
  asked(): number {
    return this.requests.reduce((sum, r) => sum + (r.numRequested ?? 0), 0);
  }
  respond(count: number, pendingNumRequested: number, from = 0): void {
    const events = Array.from({ length: count }, (_, i) => ({ event: { id: `e${from + i}`, schemaId: 's', payload: Buffer.alloc(0) }, replayId: Buffer.from([from + i]) }));
    const response: FetchResponse = { events: events as FetchResponse['events'], latestReplayId: Buffer.alloc(0), rpcId: 'r', pendingNumRequested };
    this.emit('data', response);
  }
}

function streamOn(call: FakeCall, onEvent: (e: ChangeEvent) => Promise<void>): PubSubStream {
  const channel = {
    client: { Subscribe: () => call },
    metadata: () => ({}),
    schema: async () => ({ decode: (_: Buffer, channel: string, replayId: string) => ({ channel, replayId, header: {}, fields: {} }) }),
  } as unknown as PubSubChannel;
  const session: SalesforceSession = { instanceUrl: 'https://x', accessToken: () => 't', refresh: async () => 't' };
  return new PubSubStream(channel, session, { channel: '/data/ChangeEvents', orgId: '00D', replayFrom: () => 'LATEST', onEvent, onProblem: () => undefined, establishMs: 0 });
}

const settle = async () => {
  for (let i = 0; i < 200; i++) await new Promise(setImmediate);
};

describe('PubSubStream demand', () => {
  it('keeps asked-for plus unhandled events within 100 when a response counts demand from before a request in flight', async () => {
    const call = new FakeCall();
    let hold = false;
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const stream = streamOn(call, async () => {
      if (hold) await released;
      handled++;
    });
    await stream.start();
    expect(call.asked()).toBe(100);

    call.respond(60, 40); // 60 events, 40 still asked for
    await settle();
    expect(handled).toBe(60);
    expect(call.asked()).toBe(150); // topped up by 50 once half a batch was free

    // Sent before the server read that top-up: its count (0) is stale. The handler now holds what it gets.
    hold = true;
    call.respond(40, 0, 60);
    await settle();
    const received = 100;
    const outstanding = call.asked() - received + (received - handled);
    expect(outstanding).toBeLessThanOrEqual(100);
    release();
    await stream.stop();
  });
});
