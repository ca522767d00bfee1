import { KafkaRuntime, TOPICS, kafkaRuntimeConfig, startGroupAtEnd } from '@connector/kafka';
import { kafkaFragment, loadConfig } from '@connector/config';
import { createLogger } from '@connector/observability';
import { z } from 'zod';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_APP, SalesforceEmulator } from '@tools/salesforce-emulator';
import { JournySimulator } from '@tools/journy-simulator';
import { mintToken } from '../../apps/api/src/auth/jwt-verifier';
import { RunningApp, startAppProcess, stopApp, waitForHttp } from '../support/app-process';
import { launchBrowser, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { ingestEnv } from '../support/ingest-harness';
import { apiTestEnv, uniqueName } from '../support/stack-env';

jest.setTimeout(240_000);

const PORTS = { api: 29110, ingest: 29111, 'journy-events': 29112 } as const;
const API = `http://127.0.0.1:${PORTS.api}`;
const CALLBACK = `${API}/v1/oauth/salesforce/callback`;

/**
 * The console in a real headless Chromium, against the three built apps as processes and the emulator as the
 * org: sign-in, connect through the emulator's login and consent page, the three settings tabs saved and
 * published, a mapping refused with its reason, a stale save, the initial import watched, and one record's
 * timeline after a sales rep's edit and a journy event.
 */
describe('the connector console', () => {
  const tenant = uniqueName('console');
  // Bulk jobs that take a while, so that an import can be watched and cancelled.
  const emulator = new SalesforceEmulator({ apps: [{ ...DEFAULT_APP, redirectUris: [...DEFAULT_APP.redirectUris, CALLBACK] }], bulkProcessingDelayMs: 1500 });
  const apps: Partial<Record<keyof typeof PORTS, RunningApp>> = {};
  let kafka: KafkaRuntime;
  let browser: Browser;
  let page: Page;
  let token: string;
  let url: string;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${API}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const connection = async () => (await api<{ connections: { id: string; name: string; revision: number; settings: Record<string, never> }[] }>('GET', '/v1/connections')).connections[0];
  const heardChanges = () => (apps['journy-events']?.stdout() ?? '').split('\n').filter((line) => line.includes('connection change heard') && line.includes(tenant)).length;
  const saveAndHear = async () => {
    const before = heardChanges();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('notice').getByText(/Saved \(revision \d+\)/).waitFor();
    await eventually(() => heardChanges() > before, 'journy-events to hear the saved change', 30_000);
  };

  beforeAll(async () => {
    url = await emulator.start();
    await fetch(`${url}/__emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accounts: 8, contacts: 40, relationships: 5, randomSeed: 16 }) });
    const base = ingestEnv(url, { HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const env = loadConfig(z.object({ ...kafkaFragment }), base);
    kafka = new KafkaRuntime(kafkaRuntimeConfig(env, { clientId: uniqueName('console'), produces: [TOPICS.profileEvents, TOPICS.syncLog], consumes: [] }), createLogger({ name: 'console-test', level: 'warn' }));
    await kafka.start();
    const groups = { API_SYNC_LOG_GROUP: uniqueName('console-sink'), JOURNY_EVENTS_GROUP: uniqueName('console-journy-events') };
    await startGroupAtEnd(kafka.kafka, groups.API_SYNC_LOG_GROUP, [TOPICS.syncLog.name]);
    await startGroupAtEnd(kafka.kafka, groups.JOURNY_EVENTS_GROUP, [TOPICS.profileEvents.name]);
    const secrets = apiTestEnv({ SALESFORCE_CLIENT_ID: DEFAULT_APP.clientId, SALESFORCE_CLIENT_SECRET: DEFAULT_APP.clientSecret, SALESFORCE_REDIRECT_URI: CALLBACK, API_RETURN_URL_ORIGINS: API });
    apps.api = startAppProcess('api', { ...base, ...secrets, ...groups, API_PORT: String(PORTS.api) });
    apps.ingest = startAppProcess('ingest', { ...base, INGEST_PORT: String(PORTS.ingest) });
    apps['journy-events'] = startAppProcess('journy-events', { ...base, ...groups, JOURNY_EVENTS_PORT: String(PORTS['journy-events']), JOURNY_EVENTS_LINGER_MS: '50' });
    for (const [name, port] of Object.entries(PORTS)) await waitForHttp(`http://127.0.0.1:${port}/health/live`, 90_000, apps[name as keyof typeof PORTS]);
    token = await mintToken({ algorithm: 'HS256', key: secrets.JOURNY_JWT_KEY, issuer: 'journy.io', audience: 'salesforce-connector' }, { tenant, scopes: ['connector:read', 'connector:write'], ttlSeconds: 3600 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) if (app) await stopApp(app, 10_000);
    await kafka?.stop();
    await emulator.stop();
  });

  it('signs in with a journy token and shows the project', async () => {
    const served = await page.goto(`${API}/console`);
    expect(served?.url()).toBe(`${API}/console/`);
    expect(served?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await screenshot(page, '01-sign-in');
    await page.getByLabel('journy token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('error').getByText('this is not a journy token').waitFor();
    await page.getByLabel('journy token').fill(token);
    await page.getByLabel('journy token').press('Enter'); // keyboard only
    await page.getByTestId('tenant').getByText(tenant).waitFor();
    await page.getByText('No org connected yet').waitFor();
  });

  it("connects an org through the emulator's login and permission review, and comes back to it", async () => {
    await page.getByRole('button', { name: 'Connect a Salesforce org' }).click();
    await page.getByRole('button', { name: 'Log in to Salesforce' }).click();
    await page.waitForURL(`${url}/**`);
    await page.getByRole('heading', { name: 'Allow Access?' }).waitFor();
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('Please check your username and password.').waitFor();
    await page.getByLabel('Password').fill('emulator-password');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/console\/#\/connections\/con_[0-9a-f]{24}\/settings$/);
    const created = await connection();
    expect(created).toBeDefined();
    await page.getByRole('tab', { name: 'Connection', exact: true }).waitFor();
    await page.goto(`${API}/console/#/`);
    await page.getByTestId('connection-card').getByTestId('status').getByText('connected').waitFor();
    await screenshot(page, '02-connections');
  });

  it('saves each settings tab and publishes the change; a mapping refused shows its reason on its row', async () => {
    const { id } = await connection();
    await page.goto(`${API}/console/#/connections/${id}/settings`);
    // Connection: the name, and the External ID for Accounts from the org's live fields.
    await page.getByRole('textbox', { name: 'Name' }).fill('Sales org');
    await page.getByRole('combobox', { name: 'External ID for Accounts' }).click();
    await page.getByRole('option', { name: /journy Account ID \(Journy_Account_Id__c/ }).click();
    await saveAndHear();
    expect(await connection()).toMatchObject({ name: 'Sales org', settings: { accountExternalIdField: 'Journy_Account_Id__c' } });
    await screenshot(page, '03-settings-connection');

    // Source: the change stream (the tabs answer the arrow keys).
    await page.getByRole('tab', { name: 'Connection', exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Source', selected: true }).waitFor();
    await page.getByRole('combobox', { name: 'Change events from' }).click();
    await page.getByRole('option', { name: 'Streaming API (CometD)' }).click();
    await saveAndHear();
    expect((await connection()).settings).toMatchObject({ source: { changeStream: 'cometd' } });

    // Destination: a segment, and a mapping the org's field does not take.
    await page.getByRole('tab', { name: 'Destination' }).click();
    const segments = page.getByRole('textbox', { name: 'User segments' }).or(page.getByRole('combobox', { name: 'User segments' }));
    await segments.fill('champions');
    await segments.press('Enter');
    await page.getByRole('button', { name: 'Add a Contact mapping' }).click();
    await page.getByRole('textbox', { name: 'journy property 1' }).fill('engagement');
    await page.getByRole('combobox', { name: 'Salesforce field 1' }).click();
    await page.getByRole('option', { name: /Engagement_Score__c/ }).click();
    await page.getByText('does not accept string').waitFor(); // the hint before saving
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const refused = page.getByTestId('mapping-Contact-0').getByTestId('mapping-error');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/contactMappings\[0\].*Engagement_Score__c/);
    await screenshot(page, '04-settings-destination-refused');
    await page.getByRole('combobox', { name: 'journy type 1' }).click();
    await page.getByRole('option', { name: 'number', exact: true }).click();
    await saveAndHear();
    expect((await connection()).settings).toMatchObject({ destination: { userSegments: ['champions'], contactMappings: [{ journyProperty: 'engagement', journyType: 'number', salesforceField: 'Engagement_Score__c' }] } });
  });

  it('tells a stale save so, overwrites nothing, and keeps the edit', async () => {
    const current = await connection();
    await page.getByRole('tab', { name: 'Destination' }).click();
    await page.getByRole('switch', { name: 'Create contacts' }).check();
    await api('PATCH', `/v1/connections/${current.id}`, { expectedRevision: current.revision, destination: { userSegments: [] } }); // someone else saves meanwhile
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('conflict').waitFor();
    expect((await connection()).settings).toMatchObject({ destination: { userSegments: [], createContacts: false } });
    await page.getByRole('button', { name: 'Put my edits on the latest settings' }).click();
    await saveAndHear();
    expect((await connection()).settings).toMatchObject({ destination: { userSegments: [], createContacts: true } });
    await page.getByRole('tab', { name: 'Destination' }).click();
    await api('PATCH', `/v1/connections/${current.id}`, { destination: { createContacts: false, userSegments: [] } });
  });

  it('starts the initial import, cancels it, starts it again and shows its progress per object to the end', async () => {
    const { id } = await connection();
    await page.goto(`${API}/console/#/connections/${id}/import`);
    await page.getByText('No import yet.').waitFor();
    await page.getByRole('button', { name: 'Start the initial import' }).click();
    await page.getByTestId('import-state').getByText('running').waitFor();
    await page.getByRole('button', { name: 'Cancel the import' }).click();
    await page.getByTestId('import-state').getByText('cancelled').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Import again' }).click();
    await page.getByTestId('import-state').getByText('succeeded').waitFor({ timeout: 120_000 });
    const contacts = await page.getByTestId('import-row-Contact').locator('td').nth(1).textContent();
    expect(Number(contacts)).toBe(40);
    await screenshot(page, '05-import');
  });

  it("finds one record's timeline across both directions after a sales rep's edit and a journy event", async () => {
    const { id } = await connection();
    const contact = ((await (await fetch(`${url}/__emulator/records/Contact?limit=1`)).json()) as { records: { Id: string; Email: string }[] }).records[0];
    const rep = await fetch(`${url}/__emulator/act-as`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: contact.Id, fields: { Phone: '+32 2 555 0101' } }] }),
    });
    expect(rep.ok).toBe(true);
    const simulator = new JournySimulator({ tenantId: tenant, population: { users: [{ userId: 'usr-console', email: contact.Email, accountId: null }], accounts: [] } });
    const event = simulator.userEvent({ userId: 'usr-console', email: contact.Email, accountId: null }, {
      'journy.PropertiesChanged': { changes: [{ name: 'engagement', previous: null, current: 64 as never, computed: true }], snapshot: null as never },
    });
    await kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', [event]);
    // Both lines stored: the rep's edit imported, the journy event written.
    const lines = async () => (await api<{ entries: { direction: string; status: string; mode: string }[] }>('GET', `/v1/connections/${id}/logs/timeline?salesforceId=${contact.Id}`)).entries;
    for (const deadline = Date.now() + 90_000; ; await new Promise((resolve) => setTimeout(resolve, 500))) {
      const found = await lines();
      if (found.some((l) => l.direction === 'JOURNY_TO_SALESFORCE' && l.mode !== 'INITIAL_IMPORT') && found.some((l) => l.direction === 'SALESFORCE_TO_JOURNY' && l.mode === 'LIVE')) break;
      if (Date.now() > deadline) throw new Error(`the record's timeline did not get both directions: ${JSON.stringify(found)}`);
    }

    await page.goto(`${API}/console/#/connections/${id}/log`);
    await page.getByRole('combobox', { name: 'Direction' }).click();
    await page.getByRole('option', { name: 'journy → Salesforce' }).click();
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.getByTestId('log-row').filter({ hasText: contact.Email.toLowerCase() }).first();
    await row.waitFor();
    await screenshot(page, '06-log');
    await row.getByRole('button', { name: 'Timeline' }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('[data-direction="JOURNY_TO_SALESFORCE"]').first().waitFor();
    await timeline.locator('[data-direction="SALESFORCE_TO_JOURNY"]').first().waitFor();
    expect(await timeline.getByTestId('line-fields').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Engagement_Score__c ← engagement = 64')]));
    await screenshot(page, '07-timeline');
  });

  it('reads at phone width and disconnects after a confirmation', async () => {
    const { id } = await connection();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${API}/console/#/connections/${id}/settings`);
    const disconnect = page.getByRole('tabpanel', { name: 'Settings' }).getByRole('button', { name: 'Disconnect' });
    await disconnect.click();
    await screenshot(page, '08-disconnect-phone');
    await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await connection()).toBeDefined();
    await disconnect.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await page.getByText('No org connected yet').waitFor();
    expect(await connection()).toBeUndefined();
  });
});
