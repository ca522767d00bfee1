import { Alert, Anchor, Badge, Button, Card, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Api } from '../api';
import type { Connection } from '../model/api-types';
import { go, hrefOf } from '../route';
import { useLoad } from '../use-load';
import { ConnectDialog } from './ConnectDialog';
import { ErrorAlert } from './ErrorAlert';
import { StatusBadge } from './StatusBadge';

/** What the OAuth callback sent the person back with, read once and removed from the address. */
function takeReturn(): { connectionId: string; status: string } | { error: string; message: string } | null {
  const params = new URLSearchParams(location.search);
  const result = params.get('connectionId') ? { connectionId: params.get('connectionId')!, status: params.get('status') ?? 'connected' } : params.get('error') ? { error: params.get('error')!, message: params.get('message') ?? '' } : null;
  if (result) history.replaceState(null, '', `${location.pathname}${location.hash || '#/'}`);
  return result;
}

/** The connections menu: the Salesforce card with its [+], and each connected org. */
export function ConnectionsScreen({ api }: { api: Api }) {
  const [connecting, setConnecting] = useState(false);
  const [returned] = useState(takeReturn);
  const list = useLoad(async () => (await api.connections()).connections, [api], 15_000);

  useEffect(() => {
    if (returned && 'connectionId' in returned) go({ screen: 'connection', id: returned.connectionId, tab: 'settings' });
  }, [returned]);

  return (
    <Stack>
      <Title order={2}>Connections</Title>
      {returned && 'error' in returned ? <Alert color="red" title={`Salesforce was not connected (${returned.error})`} role="alert">{returned.message}</Alert> : null}
      <Card withBorder padding="lg">
        <Group justify="space-between" wrap="nowrap">
          <div>
            <Text fw={600}>Salesforce</Text>
            <Text size="sm" c="dimmed">Import accounts and contacts; push journy users and accounts to Salesforce.</Text>
          </div>
          <Button onClick={() => setConnecting(true)} aria-label="Connect a Salesforce org" leftSection="+">Connect</Button>
        </Group>
      </Card>
      {list.loading && !list.data ? <Loader aria-label="loading connections" /> : null}
      {list.error ? <ErrorAlert error={list.error} title="The connections could not be loaded" /> : null}
      {list.data && list.data.length === 0 ? <Text c="dimmed">No org connected yet: connect one with the button above.</Text> : null}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {list.data?.map((connection) => <ConnectionCard key={connection.id} connection={connection} onReconnect={() => setConnecting(true)} />)}
      </SimpleGrid>
      <ConnectDialog api={api} opened={connecting} onClose={() => setConnecting(false)} />
    </Stack>
  );
}

function ConnectionCard({ connection, onReconnect }: { connection: Connection; onReconnect: () => void }) {
  const usage = connection.apiUsage;
  return (
    <Card withBorder padding="lg" data-testid="connection-card">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Anchor href={hrefOf({ screen: 'connection', id: connection.id, tab: 'settings' })} fw={600}>{connection.name}</Anchor>
          <StatusBadge connection={connection} />
        </Group>
        <Text size="sm" c="dimmed">{connection.salesforce.username ?? 'unknown user'} · {connection.salesforce.environment} · {new URL(connection.salesforce.instanceUrl).host}</Text>
        {!connection.enabled ? <Badge color="gray" variant="outline">disabled</Badge> : null}
        {connection.status === 'NEEDS_RECONNECT' ? (
          <Alert color="orange" variant="light" title="Needs reconnecting">
            <Text size="sm">{connection.statusReason ?? 'Salesforce no longer accepts the connection.'}</Text>
            <Button size="xs" mt="xs" onClick={onReconnect}>Reconnect</Button>
          </Alert>
        ) : null}
        {usage ? (
          <Text size="sm" data-testid="api-usage">
            API calls today: {usage.used.toLocaleString()} of {usage.limit.toLocaleString()}
            {usage.paused && usage.pausedUntil ? <> · writes paused until {new Date(usage.pausedUntil).toLocaleTimeString()}{usage.pauseReason ? ` (${usage.pauseReason})` : ''}</> : null}
          </Text>
        ) : <Text size="sm" c="dimmed">API usage not seen yet</Text>}
        <Group gap="xs">
          <Button component="a" size="xs" variant="light" href={hrefOf({ screen: 'connection', id: connection.id, tab: 'settings' })}>Settings</Button>
          <Button component="a" size="xs" variant="light" href={hrefOf({ screen: 'connection', id: connection.id, tab: 'import' })}>Import</Button>
          <Button component="a" size="xs" variant="light" href={hrefOf({ screen: 'connection', id: connection.id, tab: 'log' })}>Log</Button>
        </Group>
      </Stack>
    </Card>
  );
}
