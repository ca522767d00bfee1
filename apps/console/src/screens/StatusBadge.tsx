import { Badge, Tooltip } from '@mantine/core';
import type { Connection } from '../model/api-types';

/** Connected, needs reconnect (with the reason), or paused for quota (with when it resumes). */
export function StatusBadge({ connection }: { connection: Connection }) {
  if (connection.status === 'NEEDS_RECONNECT') {
    return <Tooltip label={connection.statusReason ?? 'reconnect the org'}><Badge color="orange" data-testid="status" style={{ flexShrink: 0 }}>needs reconnect</Badge></Tooltip>;
  }
  const usage = connection.apiUsage;
  if (usage?.paused && usage.pausedUntil) {
    return <Tooltip label={usage.pauseReason ?? 'the org is near its daily API allocation'}><Badge color="yellow" data-testid="status" style={{ flexShrink: 0 }}>paused until {new Date(usage.pausedUntil).toLocaleTimeString()}</Badge></Tooltip>;
  }
  return <Badge color="green" data-testid="status" style={{ flexShrink: 0 }}>connected</Badge>;
}
