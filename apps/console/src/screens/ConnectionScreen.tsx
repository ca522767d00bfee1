import { Anchor, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import type { Api } from '../api';
import { go, hrefOf, type ConnectionTab } from '../route';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';
import { ImportPanel } from './ImportPanel';
import { LogPanel } from './LogPanel';
import { SettingsPanel } from './SettingsPanel';
import { StatusBadge } from './StatusBadge';

/** One connection: its Settings, its initial import and its Log. */
export function ConnectionScreen({ api, id, tab }: { api: Api; id: string; tab: ConnectionTab }) {
  const loaded = useLoad(() => api.connection(id), [api, id]);
  const connection = loaded.data;

  return (
    <Stack>
      <Anchor href={hrefOf({ screen: 'connections' })} size="sm">← Connections</Anchor>
      {loaded.loading && !connection ? <Loader aria-label="loading the connection" /> : null}
      {loaded.error && !connection ? <ErrorAlert error={loaded.error} title="The connection could not be loaded" /> : null}
      {connection ? (
        <>
          <Group justify="space-between" wrap="wrap">
            <div>
              <Title order={2}>{connection.name}</Title>
              <Text size="sm" c="dimmed">{connection.salesforce.username} · org {connection.salesforce.orgId}</Text>
            </div>
            <StatusBadge connection={connection} />
          </Group>
          <Tabs value={tab} onChange={(value) => value && go({ screen: 'connection', id, tab: value as ConnectionTab })} keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="settings">Settings</Tabs.Tab>
              <Tabs.Tab value="import">Initial import</Tabs.Tab>
              <Tabs.Tab value="log">Log</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="settings" pt="md">
              <SettingsPanel api={api} connection={connection} onSaved={loaded.setData} />
            </Tabs.Panel>
            <Tabs.Panel value="import" pt="md">
              <ImportPanel api={api} connectionId={id} />
            </Tabs.Panel>
            <Tabs.Panel value="log" pt="md">
              <LogPanel api={api} connectionId={id} />
            </Tabs.Panel>
          </Tabs>
        </>
      ) : null}
    </Stack>
  );
}
