import { Anchor, Box, Button, Container, Group, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Api } from './api';
import { hrefOf, useRoute } from './route';
import { clearSession, loadSession, type Session } from './session';
import { ConnectionScreen } from './screens/ConnectionScreen';
import { ConnectionsScreen } from './screens/ConnectionsScreen';
import { SignInScreen } from './screens/SignInScreen';

/** The console: sign-in, then the connections menu and each connection's settings, import and log. */
export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const route = useRoute();
  const api = useMemo(() => (session ? new Api(session.token) : null), [session]);

  if (!session || !api) return <SignInScreen onSignedIn={setSession} />;
  return (
    <>
      <Box component="header" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <Group h={56} px="md" justify="space-between" wrap="nowrap">
          <Anchor href={hrefOf({ screen: 'connections' })} underline="never" c="inherit">
            <Title order={1} size="h4">journy.io · Salesforce</Title>
          </Anchor>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" data-testid="tenant">project <b>{session.info.tenant}</b></Text>
            <Button size="xs" variant="subtle" onClick={() => { clearSession(); setSession(null); }}>Sign out</Button>
          </Group>
        </Group>
      </Box>
      <Container component="main" size="lg" py="md">
        {route.screen === 'connections' ? <ConnectionsScreen api={api} /> : <ConnectionScreen api={api} id={route.id} tab={route.tab} />}
      </Container>
    </>
  );
}
