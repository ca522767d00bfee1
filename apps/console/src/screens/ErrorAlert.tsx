import { Alert, Code, Text } from '@mantine/core';
import { ApiError } from '../model/api-error';

/** An API error as the API gave it: its message, its code and the errorId to quote to support. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  return (
    <Alert color="red" variant="light" title={title ?? (api ? api.code : 'Something went wrong')} role="alert" data-testid="error">
      <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
      {api?.errorId ? <Text size="xs" c="dimmed" mt={4}>error id <Code>{api.errorId}</Code></Text> : null}
    </Alert>
  );
}
