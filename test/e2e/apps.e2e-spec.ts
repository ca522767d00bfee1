import { createServer, Server, Socket, connect } from 'node:net';
import { AppName, startAppProcess, stopApp, waitForHttp } from '../support/app-process';
import { apiTestEnv, stackEnv } from '../support/stack-env';
import { eventually } from '../support/eventually';

const PORT_VARIABLE: Record<AppName, string> = { api: 'API_PORT', ingest: 'INGEST_PORT', 'journy-events': 'JOURNY_EVENTS_PORT' };
const APPS: AppName[] = ['api', 'ingest', 'journy-events'];

function baseEnv(): Record<string, string> {
  const env = stackEnv();
  return {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: env.schemaRegistryUrl,
    MONGODB_URI: env.mongodbUri,
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...apiTestEnv(),
  };
}

/** A TCP proxy to the store, so a test can take MongoDB away from one app without stopping the shared one. */
function tcpProxy(target: { host: string; port: number }): Promise<{ port: number; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        cut: () => new Promise<void>((done) => { server.close(() => done()); sockets.forEach((s) => s.destroy()); }),
      });
    });
  });
}

jest.setTimeout(120_000);

describe.each(APPS)('the %s app as a process', (app) => {
  const port = 29000 + APPS.indexOf(app); // below the ephemeral range (32768+), where a client socket could hold it

  it('refuses to start with one clear line naming a missing or invalid variable', async () => {
    const { MONGODB_URI: _m, ...withoutMongo } = baseEnv();
    const missing = startAppProcess(app, { ...withoutMongo, [PORT_VARIABLE[app]]: String(port) });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr().trim()).toBe('Invalid configuration: MONGODB_URI is required');

    const invalid = startAppProcess(app, { ...baseEnv(), [PORT_VARIABLE[app]]: 'eighty' });
    expect(await invalid.exited).toBe(1);
    expect(invalid.stderr().trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr()).toMatch(new RegExp(`^Invalid configuration: ${PORT_VARIABLE[app]} `));
  });

  it('reports each dependency truthfully, serves metrics, logs JSON and stops gracefully on SIGTERM', async () => {
    const store = new URL(stackEnv().mongodbUri.replace(/^mongodb:/, 'http:'));
    const proxy = await tcpProxy({ host: store.hostname, port: Number(store.port || 27017) });
    const mongoThroughProxy = stackEnv().mongodbUri.replace(`${store.hostname}:${store.port || 27017}`, `127.0.0.1:${proxy.port}`);
    const running = startAppProcess(app, { ...baseEnv(), MONGODB_URI: mongoThroughProxy, [PORT_VARIABLE[app]]: String(port) });
    let code: number | null = null;
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`, 60_000, running);
      // Live comes first; ready follows once every dependency check has passed (a busy machine can take a moment).
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, `${app} ready`, 60_000, 200);
      const healthy = await fetch(`http://127.0.0.1:${port}/health`);
      const report = await healthy.json();
      expect(healthy.status).toBe(200);
      expect(report).toMatchObject({ status: 'up', checks: { kafka: { status: 'up' }, schemaRegistry: { status: 'up' }, mongodb: { status: 'up' } } });

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`process_resident_memory_bytes{app="${app}"}`);
      // Its store commands so far (the indexes it made at start), by collection and command.
      expect(metrics).toMatch(/^connector_store_commands_total\{collection="connections",command="createIndexes",outcome="ok",app="[a-z-]+"\} [1-9]/m);

      await proxy.cut();
      const unhealthy = await fetch(`http://127.0.0.1:${port}/health`);
      const degraded = (await unhealthy.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(unhealthy.status).toBe(503);
      expect(degraded.status).toBe('down');
      expect(degraded.checks.mongodb.status).toBe('down');
      expect(degraded.checks.kafka.status).toBe('up');
    } finally {
      code = await stopApp(running);
    }
    expect(code).toBe(0);
    const lines = running.stdout().trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.every((line) => line.app === app && typeof line.level === 'string')).toBe(true);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['listening', 'shutting down', 'stopped']));
  });
});
