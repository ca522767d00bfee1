import { Badge, Card, Code, Group, Stack, Text } from '@mantine/core';
import type { Direction, LogEntry, LogStatus } from '../model/api-types';

export const STATUS_COLOR: Record<LogStatus, string> = { SUCCEEDED: 'green', SKIPPED: 'gray', FAILED: 'red', RETRYING: 'orange' };

export function directionLabel(direction: Direction): string {
  return direction === 'JOURNY_TO_SALESFORCE' ? 'journy → Salesforce' : 'Salesforce → journy';
}

/** One log line in full: direction, outcome, the fields written with their values, Salesforce's error. */
export function LogLine({ entry }: { entry: LogEntry }) {
  return (
    <Card withBorder padding="sm" data-testid="timeline-line" data-direction={entry.direction}>
      <Stack gap={4}>
        <Group gap="xs" wrap="wrap">
          <Text size="xs" c="dimmed">{new Date(entry.occurredAt).toLocaleString()}</Text>
          <Text size="sm" fw={600}>{directionLabel(entry.direction)}</Text>
          <Text size="sm">{entry.objectType.toLowerCase()} · {entry.operation.toLowerCase()} · {entry.mode.toLowerCase().replace(/_/g, ' ')}</Text>
          <Badge size="sm" color={STATUS_COLOR[entry.status]}>{entry.status.toLowerCase()}</Badge>
          {entry.reason ? <Code>{entry.reason}</Code> : null}
          {entry.attempt > 1 ? <Text size="xs">attempt {entry.attempt}</Text> : null}
        </Group>
        {entry.message ? <Text size="sm">{entry.message}</Text> : null}
        {entry.error ? <Text size="sm" c="red" data-testid="line-error">Salesforce: {entry.error.code}: {entry.error.message}{entry.error.fields.length ? ` (${entry.error.fields.join(', ')})` : ''}</Text> : null}
        {entry.fields.length > 0 ? (
          <Text size="xs" data-testid="line-fields">
            {entry.fields.map((f) => `${f.name}${f.source ? ` ← ${f.source}` : ''} = ${f.value ?? 'null'}`).join('  ·  ')}
          </Text>
        ) : null}
      </Stack>
    </Card>
  );
}
