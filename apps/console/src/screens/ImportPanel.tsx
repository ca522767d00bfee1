import { Badge, Button, Group, Loader, Progress, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Api } from '../api';
import type { ImportJob } from '../model/api-types';
import { isActive, latestErrors, progressRows } from '../model/import-progress';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';

const STATE_COLOR: Record<ImportJob['state'], string> = { PENDING: 'gray', RUNNING: 'blue', CANCELLING: 'orange', SUCCEEDED: 'green', FAILED: 'red', CANCELLED: 'gray' };

/** The initial import: start it, watch it per object (read, published, skipped, failed), cancel it, its errors. */
export function ImportPanel({ api, connectionId }: { api: Api; connectionId: string }) {
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Every second while an import runs, every ten otherwise (one started elsewhere shows up too).
  const [watching, setWatching] = useState(false);
  const jobs = useLoad(async () => (await api.imports(connectionId)).imports, [api, connectionId], watching ? 1000 : 10_000);
  const latest = jobs.data?.slice().sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null;
  useEffect(() => setWatching(isActive(latest)), [latest]);

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      await jobs.reload();
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">Reads every Salesforce account, contact and account–contact relation into journy, once.</Text>
        {isActive(latest) ? (
          <Button color="orange" variant="outline" loading={busy} disabled={latest!.state === 'CANCELLING'} onClick={() => void act(() => api.cancelImport(connectionId, latest!.id))}>Cancel the import</Button>
        ) : (
          <Button loading={busy} onClick={() => void act(() => api.startImport(connectionId))}>{latest ? 'Import again' : 'Start the initial import'}</Button>
        )}
      </Group>
      {problem ? <ErrorAlert error={problem} /> : null}
      {jobs.loading && !jobs.data ? <Loader aria-label="loading imports" /> : null}
      {jobs.error ? <ErrorAlert error={jobs.error} title="The imports could not be loaded" /> : null}
      {jobs.data && !latest ? <Text c="dimmed">No import yet.</Text> : null}
      {latest ? <ImportProgress job={latest} /> : null}
    </Stack>
  );
}

function ImportProgress({ job }: { job: ImportJob }) {
  const errors = latestErrors(job);
  return (
    <Stack gap="sm" data-testid="import">
      <Group gap="xs">
        <Badge color={STATE_COLOR[job.state]} data-testid="import-state">{job.state.toLowerCase()}</Badge>
        {job.phase && isActive(job) ? <Text size="sm">reading {job.phase.toLowerCase()}</Text> : null}
        <Text size="sm" c="dimmed">started {new Date(job.startedAt ?? job.createdAt).toLocaleString()}{job.finishedAt ? `, finished ${new Date(job.finishedAt).toLocaleString()}` : ''}</Text>
      </Group>
      {isActive(job) ? <Progress value={100} animated striped aria-label="import running" /> : null}
      <Table.ScrollContainer minWidth={420}>
        <Table aria-label="import progress per object">
          <Table.Thead><Table.Tr><Table.Th>object</Table.Th><Table.Th>read</Table.Th><Table.Th>published</Table.Th><Table.Th>skipped</Table.Th><Table.Th>failed</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {progressRows(job).map((row) => (
              <Table.Tr key={row.object} data-testid={`import-row-${row.object}`} fw={row.current ? 600 : undefined}>
                <Table.Td>{row.object}{row.current ? ' …' : ''}</Table.Td>
                <Table.Td>{row.read.toLocaleString()}</Table.Td>
                <Table.Td>{row.published.toLocaleString()}</Table.Td>
                <Table.Td>{row.skipped.toLocaleString()}</Table.Td>
                <Table.Td c={row.failed > 0 ? 'red' : undefined}>{row.failed.toLocaleString()}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {errors.length > 0 ? (
        <Stack gap={4}>
          <Text fw={600} size="sm">Latest errors</Text>
          {errors.map((e, i) => <Text key={i} size="sm" c="red">{new Date(e.at).toLocaleTimeString()} {e.code}: {e.message}</Text>)}
        </Stack>
      ) : null}
    </Stack>
  );
}
