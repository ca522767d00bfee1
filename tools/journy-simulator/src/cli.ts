import { KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { loadConfig, kafkaFragment } from '@connector/config';
import { createLogger } from '@connector/observability';
import { z } from 'zod';
import { JournySimulator, populationFromEmulator } from './simulator';

/**
 * Publishes journy profile events for a population read from the emulator:
 *   node dist/tools/journy-simulator/src/cli.js --tenant <id> --emulator <url> [--rate 20] [--count 0 (forever)] [--users 200] [--accounts 50]
 */
async function main(): Promise<void> {
  const args = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ''), argv[i + 1]);
  const tenantId = args.get('tenant');
  const emulator = args.get('emulator');
  if (!tenantId || !emulator) throw new Error('usage: --tenant <journy project id> --emulator <emulator url> [--rate n] [--count n] [--users n] [--accounts n]');
  const rate = Number(args.get('rate') ?? 20);
  const count = Number(args.get('count') ?? 0);
  const config = loadConfig(z.object({ ...kafkaFragment }), process.env);
  const logger = createLogger({ name: 'journy-simulator', level: 'info' });
  const kafka = new KafkaRuntime(kafkaRuntimeConfig(config, { clientId: 'journy-simulator', produces: [TOPICS.profileEvents], consumes: [] }), logger);
  await kafka.start();
  const population = await populationFromEmulator(emulator, { users: Number(args.get('users') ?? 200), accounts: Number(args.get('accounts') ?? 50) });
  const simulator = new JournySimulator({ tenantId, population });
  logger.info({ users: population.users.length, accounts: population.accounts.length, rate }, 'publishing journy profile events');
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  process.on('SIGINT', () => { stopping = true; });
  const started = Date.now();
  for (let sent = 0; !stopping && (count === 0 || sent < count); sent++) {
    const due = started + (sent * 1000) / rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const event = simulator.next();
    await kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', [event]);
    if ((sent + 1) % Math.max(1, rate * 30) === 0) logger.info({ sent: sent + 1 }, 'profile events published');
  }
  await kafka.stop();
}

main().catch((error) => {
  process.stderr.write(`journy-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
