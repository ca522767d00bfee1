import { createConnection } from 'node:net';
import { stackEnv } from './stack-env';

function reachable(hostPort: string, timeoutMs = 3000): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** Fails the integration run at once, with what to do, when the stack is not up. */
export default async function globalSetup(): Promise<void> {
  const env = stackEnv();
  const registry = new URL(env.schemaRegistryUrl);
  const mongo = new URL(env.mongodbUri.replace(/^mongodb(\+srv)?:/, 'http:'));
  const targets = [
    ['Kafka', env.kafkaBrokers[0]],
    ['schema registry', `${registry.hostname}:${registry.port || 80}`],
    ['MongoDB', `${mongo.hostname}:${mongo.port || 27017}`],
  ] as const;
  for (const [name, target] of targets) {
    if (!(await reachable(target))) {
      throw new Error(`integration tests need ${name} at ${target}, which is not answering. Start it with \`npm run stack -- up\`.`);
    }
  }
}
