import { ActionIcon, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { errorOn } from '../model/api-error';
import { JOURNY_TYPES, type JournyType, type Mapping, type SalesforceField } from '../model/api-types';
import { fitOf } from '../model/settings-form';

/** The default mappings of an object, read-only. */
export function DefaultMappings({ mappings, object }: { mappings: Mapping[]; object: string }) {
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table striped aria-label={`default ${object} mappings`}>
        <Table.Thead><Table.Tr><Table.Th>journy</Table.Th><Table.Th>type</Table.Th><Table.Th>Salesforce {object} field</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {mappings.map((m) => (
            <Table.Tr key={`${m.journyProperty}-${m.salesforceField}`}><Table.Td>{m.journyProperty}</Table.Td><Table.Td>{m.journyType}</Table.Td><Table.Td>{m.salesforceField}</Table.Td></Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/**
 * Extra mappings: a journy property and its type on one side, one of the org's fields on the other, each field
 * with its Salesforce type and whether it takes the journy type (the API has the last word on save).
 */
export function MappingsEditor({ object, list, mappings, fields, problem, onChange }: {
  object: 'Contact' | 'Account';
  list: 'contactMappings' | 'accountMappings';
  mappings: Mapping[];
  fields: SalesforceField[] | null;
  problem: unknown;
  onChange: (mappings: Mapping[]) => void;
}) {
  const byName = new Map((fields ?? []).map((f) => [f.name.toLowerCase(), f]));
  const options = (fields ?? []).filter((f) => f.mappable).sort((a, b) => a.label.localeCompare(b.label)).map((f) => ({ value: f.name, label: `${f.label} (${f.name} · ${f.type})` }));
  const update = (index: number, change: Partial<Mapping>) => onChange(mappings.map((m, i) => (i === index ? { ...m, ...change } : m)));

  return (
    <Stack gap="xs" data-testid={`mappings-${object}`}>
      {mappings.length === 0 ? <Text size="sm" c="dimmed">No extra {object} mappings.</Text> : null}
      {mappings.map((mapping, index) => {
        const field = byName.get(mapping.salesforceField.toLowerCase());
        const fit = mapping.salesforceField && fields ? fitOf(field, mapping.journyType) : null;
        const refused = errorOn(problem, `destination.${list}[${index}]`);
        return (
          <Stack key={index} gap={2} data-testid={`mapping-${object}-${index}`}>
            <Group align="flex-start" wrap="wrap" gap="xs">
              <TextInput aria-label={`journy property ${index + 1}`} placeholder="journy property" value={mapping.journyProperty} onChange={(e) => update(index, { journyProperty: e.currentTarget.value })} w={200} error={Boolean(refused)} />
              <Select aria-label={`journy type ${index + 1}`} data={JOURNY_TYPES} value={mapping.journyType} onChange={(value) => value && update(index, { journyType: value as JournyType })} w={140} allowDeselect={false} />
              <Select aria-label={`Salesforce field ${index + 1}`} placeholder={`${object} field`} data={options} value={field?.name ?? (mapping.salesforceField || null)} onChange={(value) => update(index, { salesforceField: value ?? '' })} searchable w={300} nothingFoundMessage="no such field" error={Boolean(refused)} />
              <ActionIcon variant="subtle" color="red" aria-label={`remove mapping ${index + 1}`} onClick={() => onChange(mappings.filter((_, i) => i !== index))} mt={4}>✕</ActionIcon>
            </Group>
            {refused ? <Text size="sm" c="red" role="alert" data-testid="mapping-error">{refused}</Text> : fit && !fit.ok ? <Text size="sm" c="orange">{fit.why}</Text> : fit?.ok ? <Text size="xs" c="dimmed">{field!.name} ({field!.type}) accepts {field!.accepts.join(', ')}</Text> : null}
          </Stack>
        );
      })}
      <Group>
        <Button size="xs" variant="light" onClick={() => onChange([...mappings, { journyProperty: '', journyType: 'string', salesforceField: '' }])}>Add {object === 'Account' ? 'an' : 'a'} {object} mapping</Button>
      </Group>
    </Stack>
  );
}
