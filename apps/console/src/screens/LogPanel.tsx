import { Badge, Button, Group, Loader, Modal, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { Api } from '../api';
import type { LogEntry, LogPage } from '../model/api-types';
import { NO_FILTERS, logQueryString, recordLabel, timelineKeyOf, type LogFilters } from '../model/log-query';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';
import { LogLine, STATUS_COLOR, directionLabel } from './LogLine';

const opt = (values: string[]) => [{ value: '', label: 'any' }, ...values.map((v) => ({ value: v, label: v.toLowerCase().replace(/_/g, ' ') }))];

/** The sync log: filters, pages newest first, and a record's timeline across both directions. */
export function LogPanel({ api, connectionId }: { api: Api; connectionId: string }) {
  const [draft, setDraft] = useState<LogFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<LogFilters>(NO_FILTERS);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [timelineOf, setTimelineOf] = useState<LogEntry | null>(null);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad<LogPage>(() => api.logs(connectionId, logQueryString(filters, cursor)), [api, connectionId, filters, cursor]);
  const set = (change: Partial<LogFilters>) => setDraft((d) => ({ ...d, ...change }));

  return (
    <Stack>
      <form onSubmit={(e) => { e.preventDefault(); setFilters(draft); setCursors([null]); }}>
        <Group align="flex-end" wrap="wrap" gap="xs">
          <Select label="Direction" data={[{ value: '', label: 'both' }, { value: 'SALESFORCE_TO_JOURNY', label: 'Salesforce → journy' }, { value: 'JOURNY_TO_SALESFORCE', label: 'journy → Salesforce' }]} value={draft.direction ?? ''} onChange={(v) => set({ direction: (v || null) as LogFilters['direction'] })} w={190} allowDeselect={false} />
          <Select label="Status" data={opt(['SUCCEEDED', 'SKIPPED', 'FAILED', 'RETRYING'])} value={draft.status ?? ''} onChange={(v) => set({ status: (v || null) as LogFilters['status'] })} w={130} allowDeselect={false} />
          <TextInput label="Reason" placeholder="NOT_IN_SEGMENT" value={draft.reason ?? ''} onChange={(e) => set({ reason: e.currentTarget.value || null })} w={190} />
          <Select label="Object" data={opt(['USER', 'ACCOUNT', 'MEMBERSHIP', 'OTHER'])} value={draft.objectType ?? ''} onChange={(v) => set({ objectType: (v || null) as LogFilters['objectType'] })} w={140} allowDeselect={false} />
          <TextInput label="From" type="datetime-local" value={draft.from ?? ''} onChange={(e) => set({ from: e.currentTarget.value || null })} w={200} />
          <TextInput label="To" type="datetime-local" value={draft.to ?? ''} onChange={(e) => set({ to: e.currentTarget.value || null })} w={200} />
          <Button type="submit">Filter</Button>
          <Button variant="default" onClick={() => { setDraft(NO_FILTERS); setFilters(NO_FILTERS); setCursors([null]); }}>Clear</Button>
          <Button variant="subtle" onClick={() => void page.reload()}>Refresh</Button>
        </Group>
      </form>
      {page.loading && !page.data ? <Loader aria-label="loading the log" /> : null}
      {page.error ? <ErrorAlert error={page.error} title="The log could not be loaded" /> : null}
      {page.data && page.data.logs.length === 0 ? <Text c="dimmed">No log lines{filters === NO_FILTERS ? ' yet' : ' match these filters'}.</Text> : null}
      {page.data && page.data.logs.length > 0 ? (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover aria-label="sync log">
            <Table.Thead><Table.Tr><Table.Th>when</Table.Th><Table.Th>direction</Table.Th><Table.Th>object</Table.Th><Table.Th>record</Table.Th><Table.Th>status</Table.Th><Table.Th>reason / error</Table.Th><Table.Th /></Table.Tr></Table.Thead>
            <Table.Tbody>
              {page.data.logs.map((entry) => (
                <Table.Tr key={entry.logId} data-testid="log-row">
                  <Table.Td><Text size="xs">{new Date(entry.occurredAt).toLocaleString()}</Text></Table.Td>
                  <Table.Td><Text size="xs">{directionLabel(entry.direction)}</Text></Table.Td>
                  <Table.Td><Text size="xs">{entry.objectType.toLowerCase()} · {entry.operation.toLowerCase()}</Text></Table.Td>
                  <Table.Td><Text size="xs">{recordLabel(entry)}</Text></Table.Td>
                  <Table.Td miw={110}><Badge size="sm" color={STATUS_COLOR[entry.status]} style={{ flexShrink: 0, overflow: 'visible' }}>{entry.status.toLowerCase()}</Badge></Table.Td>
                  <Table.Td><Text size="xs">{entry.error ? `${entry.error.code}: ${entry.error.message}` : entry.reason ?? ''}</Text></Table.Td>
                  <Table.Td>{timelineKeyOf(entry) ? <Button size="compact-xs" variant="light" onClick={() => setTimelineOf(entry)}>Timeline</Button> : null}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Group>
        <Button variant="default" size="xs" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</Button>
        <Text size="xs" c="dimmed">page {cursors.length}</Text>
        <Button variant="default" size="xs" disabled={!page.data?.nextCursor} onClick={() => setCursors((c) => [...c, page.data!.nextCursor])}>Older</Button>
      </Group>
      <Modal opened={timelineOf !== null} onClose={() => setTimelineOf(null)} title={timelineOf ? `Timeline of ${recordLabel(timelineOf)}` : ''} size="xl">
        {timelineOf ? <RecordTimeline api={api} connectionId={connectionId} entry={timelineOf} /> : null}
      </Modal>
    </Stack>
  );
}

/** Every line about one record, both directions, oldest first: what was written, and Salesforce's refusals. */
function RecordTimeline({ api, connectionId, entry }: { api: Api; connectionId: string; entry: LogEntry }) {
  const key = timelineKeyOf(entry)!;
  const timeline = useLoad(() => api.timeline(connectionId, key), [api, connectionId, key.param, key.value]);
  if (timeline.loading && !timeline.data) return <Loader aria-label="loading the timeline" />;
  if (timeline.error) return <ErrorAlert error={timeline.error} title="The timeline could not be loaded" />;
  return (
    <Stack gap="sm" data-testid="timeline">
      <Text size="sm" c="dimmed">by {key.param} {key.value}: {timeline.data?.entries.length ?? 0} lines, oldest first</Text>
      {timeline.data?.entries.map((line) => <LogLine key={line.logId} entry={line} />)}
    </Stack>
  );
}
