import { Button, Group, Modal, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Api } from '../api';
import { errorOn } from '../model/api-error';
import { ErrorAlert } from './ErrorAlert';

type Environment = 'production' | 'sandbox' | 'custom';

/** Where the person logs in to Salesforce; then off to Salesforce's login and permission review, and back. */
export function ConnectDialog({ api, opened, onClose }: { api: Api; opened: boolean; onClose: () => void }) {
  const [environment, setEnvironment] = useState<Environment>('production');
  const [myDomainUrl, setMyDomainUrl] = useState('');
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const body = environment === 'custom' ? { environment, myDomainUrl: myDomainUrl.trim() } : { environment };
      const { authorizeUrl } = await api.authorize(body, `${location.origin}${location.pathname}`);
      location.assign(authorizeUrl);
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  };

  const fieldError = errorOn(problem, 'myDomainUrl');
  return (
    <Modal opened={opened} onClose={onClose} title="Connect Salesforce" centered>
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm">You will log in to Salesforce and review the permissions journy asks for, then come back here.</Text>
          <SegmentedControl
            value={environment}
            onChange={(value) => setEnvironment(value as Environment)}
            data={[{ value: 'production', label: 'Production' }, { value: 'sandbox', label: 'Sandbox' }, { value: 'custom', label: 'My Domain' }]}
            aria-label="Salesforce environment"
          />
          {environment === 'custom' ? (
            <TextInput label="My Domain URL" placeholder="https://yourcompany.my.salesforce.com" value={myDomainUrl} onChange={(e) => setMyDomainUrl(e.currentTarget.value)} error={fieldError} required />
          ) : null}
          {problem && !fieldError ? <ErrorAlert error={problem} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={busy}>Log in to Salesforce</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
