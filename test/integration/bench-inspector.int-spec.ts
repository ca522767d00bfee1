import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { heapAfterFullCollection, inspectorCalls } from '../../bench/inspector';

// bench:fleet-streams reads an app's heap after a full collection through the app's inspector, over a WebSocket
// client of its own: here against a real Node process.
describe('bench inspector client', () => {
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '-e', 'globalThis.held = Array.from({ length: 400_000 }, (_, i) => ({ i })); setInterval(() => undefined, 1000);'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); if (text.includes('Debugger listening')) resolve(); });
      child.once('exit', (code) => reject(new Error(`the inspected process exited (${code}): ${text}`)));
    });
  });

  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('forces a full collection: what the process stopped holding is gone from the heap', async () => {
    const holding = await heapAfterFullCollection(port);
    await inspectorCalls(port, [{ method: 'Runtime.evaluate', params: { expression: 'globalThis.held = null' } }]);
    const released = await heapAfterFullCollection(port);
    expect(holding.usedMb - released.usedMb).toBeGreaterThan(8); // 400,000 small objects and their array
    expect(released.totalMb).toBeGreaterThanOrEqual(released.usedMb);
  });

  it('sends and reads messages longer than 65,535 bytes, in order', async () => {
    const long = 'x'.repeat(100_000);
    const [first, second] = (await inspectorCalls(port, [
      { method: 'Runtime.evaluate', params: { expression: `'${long}'.length` } },
      { method: 'Runtime.evaluate', params: { expression: `'y'.repeat(200000)`, returnByValue: true } },
    ])) as { result: { value: unknown } }[];
    expect(first.result.value).toBe(100_000);
    expect(second.result.value).toBe('y'.repeat(200_000));
  });

  it('says which command failed', async () => {
    await expect(inspectorCalls(port, [{ method: 'No.suchMethod' }])).rejects.toThrow(/No\.suchMethod/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
