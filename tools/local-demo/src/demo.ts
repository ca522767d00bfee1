// The local run's demo, started by scripts/run-local.sh once the apps are up (no Salesforce org configured):
// connects the emulator's demo org through the API's real OAuth flow, sets the connection up, runs the initial
// import, then keeps both directions moving: a simulated sales rep edits records in the emulator while the
// journy simulator publishes profile events. Prints where to look.
//   node dist/tools/local-demo/src/demo.js --api <url> --emulator <url> --token <jwt> --tenant <id>
import { KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { kafkaFragment, loadConfig } from '@connector/config';
import { createLogger } from '@connector/observability';
import { z } from 'zod';
import { DEMO_ORG_MAPPINGS, JournySimulator, populationFromEmulator } from '../../journy-simulator/src';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const api = arg('api');
  const emulator = arg('emulator');
  const token = arg('token');
  const tenantId = arg('tenant');
  const say = (line: string) => process.stdout.write(`demo: ${line}\n`);
  let step = 'starting';
  /** fetch, with a failure that names the demo's step, the URL and what came back. */
  const request = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, init);
    } catch (error) {
      throw new Error(`${step}: ${init.method ?? 'GET'} ${url} did not answer (${error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : String(error)})`);
    }
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await request(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${step}: ${method} ${api}${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : {}) as T;
  };

  // 1. Connect through OAuth: authorize URL from the API, consent at the emulator (auto-approved), callback.
  step = 'listing connections';
  const existing = (await call<{ connections: { id: string }[] }>('GET', '/v1/connections')).connections;
  let connectionId = existing[0]?.id;
  if (!connectionId) {
    step = 'starting the OAuth flow';
    const { authorizeUrl } = await call<{ authorizeUrl: string }>('POST', '/v1/connections/salesforce/authorize', { environment: 'production' });
    step = 'the consent at the emulator';
    const consent = await request(authorizeUrl, { redirect: 'manual' });
    const callback = consent.headers.get('location');
    if (!callback) throw new Error(`${step}: ${authorizeUrl} answered ${consent.status} without redirecting back: ${(await consent.text()).slice(0, 500)}`);
    if (new URL(callback).searchParams.has('error')) throw new Error(`${step}: the emulator refused the authorization: ${callback}`);
    step = 'the OAuth callback';
    const done = await request(callback, { redirect: 'manual' });
    if (!done.ok) throw new Error(`${step}: ${callback.split('?')[0]} answered ${done.status}: ${(await done.text()).slice(0, 500)}`);
    const body = (await done.json()) as { connection: { id: string } };
    connectionId = body.connection.id;
    say(`connected the demo org through OAuth: connection ${connectionId}`);
    step = 'saving the demo settings';
    await call('PATCH', `/v1/connections/${connectionId}`, {
      accountExternalIdField: 'Journy_Account_Id__c',
      source: { ongoingImport: true },
      destination: DEMO_ORG_MAPPINGS,
    });
    step = 'the initial import';
    const job = await call<{ id: string }>('POST', `/v1/connections/${connectionId}/imports`, {});
    say(`initial import ${job.id} started`);
    for (let i = 0; i < 600; i++) {
      const state = await call<{ state: string }>('GET', `/v1/connections/${connectionId}/imports/${job.id}`);
      if (state.state === 'SUCCEEDED' || state.state === 'FAILED') { say(`initial import ${state.state.toLowerCase()}`); break; }
      await sleep(1000);
    }
  } else {
    say(`using connection ${connectionId}`);
  }

  // 2. Both directions: journy events (simulator) and a sales rep editing Salesforce.
  const config = loadConfig(z.object({ ...kafkaFragment }), process.env);
  const kafka = new KafkaRuntime(kafkaRuntimeConfig(config, { clientId: 'local-demo', produces: [TOPICS.profileEvents], consumes: [] }), createLogger({ name: 'local-demo', level: 'warn' }));
  await kafka.start();
  const population = await populationFromEmulator(emulator, { users: 300, accounts: 100 });
  const simulator = new JournySimulator({ tenantId, population });
  say(`streaming both ways: journy events at 2/s, a sales rep edit every 3 s. Records moving in both directions:`);
  say(`  curl -H "Authorization: Bearer <token>" "${api}/v1/connections/${connectionId}/logs?limit=20"`);
  say(`  curl -H "Authorization: Bearer <token>" "${api}/v1/connections/${connectionId}/logs?direction=JOURNY_TO_SALESFORCE&limit=20"`);
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  process.on('SIGINT', () => { stopping = true; });
  const contacts = ((await (await fetch(`${emulator}/__emulator/records/Contact?limit=300`)).json()) as { records: { Id: string }[] }).records;
  for (let tick = 0; !stopping; tick++) {
    await kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', [simulator.next()]);
    if (tick % 6 === 0 && contacts.length > 0) {
      const target = contacts[tick % contacts.length];
      await fetch(`${emulator}/__emulator/act-as`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: target.Id, fields: { Phone: `+32 2 555 ${String(tick % 10_000).padStart(4, "0")}` } }] }),
      }).catch(() => undefined);
    }
    await sleep(500);
  }
  await kafka.stop();
}

main().catch((error) => {
  process.stderr.write(`local-demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
