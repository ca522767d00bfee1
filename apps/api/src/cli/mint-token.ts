#!/usr/bin/env node
// Mints a bearer token for local use and tests (in production journy signs them):
//   node dist/apps/api/src/cli/mint-token.js --tenant acme [--scope read,write] [--ttl 3600]
// Reads JOURNY_JWT_KEY (HS256), JOURNY_JWT_ISSUER and JOURNY_JWT_AUDIENCE like the API does.
import { mintToken, Scope } from '../auth/jwt-verifier';

function arg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const key = process.env.JOURNY_JWT_KEY;
  const tenant = arg('tenant');
  if (!key || !tenant) {
    process.stderr.write('usage: JOURNY_JWT_KEY=<base64> mint-token --tenant <project> [--scope read,write] [--ttl seconds]\n');
    process.exit(2);
  }
  const scopes = (arg('scope') ?? 'read,write').split(',').map((s) => `connector:${s.trim()}` as Scope);
  const token = await mintToken(
    { algorithm: 'HS256', key, issuer: process.env.JOURNY_JWT_ISSUER ?? 'journy.io', audience: process.env.JOURNY_JWT_AUDIENCE ?? 'salesforce-connector' },
    { tenant, scopes, ttlSeconds: Number(arg('ttl') ?? 3600) },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`mint-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
