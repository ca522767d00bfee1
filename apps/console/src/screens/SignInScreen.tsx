import { Alert, Button, Container, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Api } from '../api';
import { ApiError } from '../model/api-error';
import { clearSession, saveSession, type Session } from '../session';
import { ErrorAlert } from './ErrorAlert';

/** Sign-in with a journy token: read, then checked against the API before anything else shows. */
export function SignInScreen({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const session = saveSession(token);
    if (!session) return setProblem(new ApiError(0, 'INVALID_TOKEN', 'this is not a journy token (a JWT naming a project)', null, 'token'));
    setBusy(true);
    try {
      await new Api(session.token).connections();
      onSignedIn(session);
    } catch (error) {
      clearSession();
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size={460} py={64}>
      <Paper withBorder shadow="sm" p="xl">
        <form onSubmit={submit}>
          <Stack>
            <Title order={1} size="h3">Salesforce connector</Title>
            <Text size="sm" c="dimmed">Sign in with a journy token for your project. It stays in this browser tab only.</Text>
            <PasswordInput label="journy token" value={token} onChange={(e) => setToken(e.currentTarget.value)} required autoFocus data-testid="token-input" />
            {problem ? <ErrorAlert error={problem} /> : null}
            <Button type="submit" loading={busy}>Sign in</Button>
            <Alert variant="light" color="gray" title="Running locally?">
              <Text size="sm"><code>npm run start:local</code> prints a ready sign-in link; <code>npm run token:mint -- --tenant &lt;project&gt;</code> makes a token.</Text>
            </Alert>
          </Stack>
        </form>
      </Paper>
    </Container>
  );
}
