import { KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { loadConfig, kafkaFragment } from '@connector/config';
import { createLogger } from '@connector/observability';
import { z } from 'zod';
import { SalesforceEmulator, type EmulatorOptions } from '@tools/salesforce-emulator';
import { RunningApp, stopApp } from './app-process';
import { Store, Tap, ingestEnv, openStore } from './ingest-harness';
import { uniqueName } from './stack-env';

/** What the tests of journy-events as processes share: an emulator org, the store, a tap on the connection's log lines, a producer of profile events, and the apps they start. */
export interface OutboundHarness {
  emulator: SalesforceEmulator;
  url: string;
  store: Store & { uri: string };
  tap: Tap;
  kafka: KafkaRuntime;
  /** The connection the tap follows, once connected. */
  connectionId: string | null;
  running: RunningApp[];
  close(): Promise<void>;
}

export async function openOutboundHarness(name: string, emulatorOptions: EmulatorOptions): Promise<OutboundHarness> {
  const emulator = new SalesforceEmulator(emulatorOptions);
  const url = await emulator.start();
  const store = await openStore();
  const harness = { emulator, url, store, connectionId: null, running: [] } as unknown as OutboundHarness;
  harness.tap = await Tap.open(() => harness.connectionId);
  const env = loadConfig(z.object({ ...kafkaFragment }), ingestEnv(url));
  harness.kafka = new KafkaRuntime(kafkaRuntimeConfig(env, { clientId: uniqueName(name), produces: [TOPICS.profileEvents], consumes: [] }), createLogger({ name, level: 'warn' }));
  await harness.kafka.start();
  harness.close = async () => {
    for (const app of harness.running) if (app.process.exitCode === null && app.process.signalCode === null) await stopApp(app, 5000);
    await harness.kafka.stop();
    await harness.tap.close();
    await store.close();
    await emulator.stop();
  };
  return harness;
}
