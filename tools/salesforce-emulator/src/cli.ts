#!/usr/bin/env node
// The Salesforce emulator as a process:
//   node dist/tools/salesforce-emulator/src/cli.js [--port 8484] [--host 127.0.0.1] [--seed file.json]
//     [--accounts N --contacts M --relationships K] [--token-lifetime-ms N] [--auto-approve]
//     [--bulk-delay-ms N] [--cometd-timeout-ms N] [--daily-api-limit N] [--duplicate-rule] [--sandbox] [--tls [--tls-cert-out cert.pem]]
//     [--latency fast|realistic|slow-automation] [--pubsub-port N] [--pubsub-plaintext] [--pubsub-cert-out cert.pem] [--no-pubsub]
//     [--redirect-uri URL]…   (more OAuth callbacks the connected app accepts, besides the default ones)
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_APP, SalesforceEmulator, EmulatorOptions } from './server';
import type { SeedFile } from './seed';

function arg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function number(name: string): number | undefined {
  const value = arg(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`salesforce-emulator: --${name} must be a non-negative number, got ${value}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const seedPath = arg('seed');
  let seed: SeedFile | undefined = seedPath ? (JSON.parse(readFileSync(seedPath, 'utf8')) as SeedFile) : undefined;
  const accounts = number('accounts');
  if (accounts !== undefined) {
    seed = { ...(seed ?? {}), generate: { accounts, contacts: number('contacts') ?? accounts * 5, relationships: number('relationships') ?? 0, contactsWithoutEmail: 0.02, accountsWithoutExternalId: 0.05 } };
  }
  const redirectUris = process.argv.flatMap((value, i) => (process.argv[i - 1] === '--redirect-uri' ? [value] : []));
  const options: EmulatorOptions = {
    apps: [{ ...DEFAULT_APP, redirectUris: [...new Set([...DEFAULT_APP.redirectUris, ...redirectUris])] }],
    port: number('port') ?? 8484,
    host: arg('host') ?? '127.0.0.1',
    publicUrl: arg('public-url'),
    seed,
    tokenLifetimeMs: number('token-lifetime-ms'),
    autoApprove: flag('auto-approve'),
    bulkProcessingDelayMs: number('bulk-delay-ms'),
    cometdConnectTimeoutMs: number('cometd-timeout-ms'),
    dailyApiLimit: number('daily-api-limit'),
    contactEmailDuplicateRule: flag('duplicate-rule'),
    sandbox: flag('sandbox'),
    tls: flag('tls'),
    latencyProfile: arg('latency') as EmulatorOptions['latencyProfile'],
    pubsubPort: flag('no-pubsub') ? false : (number('pubsub-port') ?? 7443),
    pubsubPlaintext: flag('pubsub-plaintext'),
  };
  const started = Date.now();
  const emulator = new SalesforceEmulator(options);
  const url = await emulator.start();
  const certOut = arg('tls-cert-out');
  if (certOut && emulator.certificate) writeFileSync(certOut, emulator.certificate);
  const pubsubCertOut = arg('pubsub-cert-out');
  if (pubsubCertOut && emulator.pubsubCertificate) writeFileSync(pubsubCertOut, emulator.pubsubCertificate);
  const counts = ['Account', 'Contact', 'AccountContactRelation'].map((o) => `${emulator.org.count(o)} ${o}`).join(', ');
  process.stdout.write(`${JSON.stringify({ msg: 'salesforce emulator listening', url, pubsub: emulator.pubsubEndpoint || null, orgId: emulator.org.orgId, records: counts, startupMs: Date.now() - started })}\n`);
  const stop = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`salesforce-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
