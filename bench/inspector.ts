// Chrome DevTools Protocol commands to a Node process started with --inspect=<host>:<port>, over a WebSocket that
// this file speaks itself (Node 20 has no WebSocket client without a flag). Used by benchmarks to force a full
// garbage collection in an app and read its heap, without the memory a heap snapshot costs.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Runs CDP commands in order in the process whose inspector listens on `port`; resolves with their results. */
export async function inspectorCalls(port: number, calls: { method: string; params?: object }[], timeoutMs = 60_000): Promise<unknown[]> {
  const [target] = (await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json())) as { webSocketDebuggerUrl: string }[];
  const socket = await openWebSocket(new URL(target.webSocketDebuggerUrl));
  const timer = setTimeout(() => socket.destroy(new Error(`inspector on ${port}: no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const frames = frameReader(socket);
    const results: unknown[] = [];
    for (const [i, call] of calls.entries()) {
      socket.write(maskedTextFrame(JSON.stringify({ id: i + 1, method: call.method, params: call.params ?? {} })));
      for (;;) {
        const message = JSON.parse(await frames.next()) as { id?: number; result?: unknown; error?: { message: string } };
        if (message.id !== i + 1) continue; // an event
        if (message.error) throw new Error(`${call.method}: ${message.error.message}`);
        results.push(message.result);
        break;
      }
    }
    return results;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** A full garbage collection, then the V8 heap in use and allocated (MB). */
export async function heapAfterFullCollection(port: number): Promise<{ usedMb: number; totalMb: number }> {
  const [, usage] = (await inspectorCalls(port, [{ method: 'HeapProfiler.collectGarbage' }, { method: 'Runtime.getHeapUsage' }])) as [unknown, { usedSize: number; totalSize: number }];
  return { usedMb: usage.usedSize / 1048576, totalMb: usage.totalSize / 1048576 };
}

function openWebSocket(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write([`GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'));
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!/^HTTP\/1\.1 101/.test(head.toString('latin1'))) return reject(new Error(`inspector refused the WebSocket: ${head.toString('latin1', 0, end)}`));
      const rest = head.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** A client's frame: final, text, masked (RFC 6455, 5.2). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : payload.length < 65536 ? Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), bigEndian64(payload.length)]);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x81]), length, mask, masked]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** The server's text messages in order (unmasked frames; continuation frames joined). */
function frameReader(socket: Socket): { next: () => Promise<string> } {
  let buffered = Buffer.alloc(0);
  let parts: Buffer[] = [];
  const messages: string[] = [];
  const waiting: { resolve: (m: string) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | null = null;
  const deliver = (message: string) => { const w = waiting.shift(); if (w) w.resolve(message); else messages.push(message); };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const fin = (buffered[0] & 0x80) !== 0;
      let length = buffered[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (buffered.length < 4) return; length = buffered.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffered.length < 10) return; length = Number(buffered.readBigUInt64BE(2)); offset = 10; }
      if (buffered.length < offset + length) return;
      parts.push(buffered.subarray(offset, offset + length));
      buffered = buffered.subarray(offset + length);
      if (fin) { deliver(Buffer.concat(parts).toString('utf8')); parts = []; }
    }
  });
  const fail = (error: Error) => { failure = error; for (const w of waiting.splice(0)) w.reject(error); };
  socket.once('error', fail);
  socket.once('close', () => fail(failure ?? new Error('inspector closed the connection')));
  return {
    next: () => {
      const message = messages.shift();
      if (message !== undefined) return Promise.resolve(message);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}
