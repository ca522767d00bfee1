import { Alert, Button, Divider, Group, Modal, Select, Stack, Switch, Tabs, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { Api } from '../api';
import { ApiError, errorOn } from '../model/api-error';
import type { Connection } from '../model/api-types';
import { externalIdCandidates, formOf, patchOf, rebase, tabOf, type SettingsForm, type SettingsTab } from '../model/settings-form';
import { go } from '../route';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';
import { DefaultMappings, MappingsEditor } from './MappingsEditor';

/** The Settings panel: Connection, Source and Destination tabs; Save (with the revision check) and Disconnect. */
export function SettingsPanel({ api, connection, onSaved }: { api: Api; connection: Connection; onSaved: (connection: Connection) => void }) {
  const [opened, setOpened] = useState(connection);
  const [form, setForm] = useState<SettingsForm>(() => formOf(connection));
  const [tab, setTab] = useState<SettingsTab>('connection');
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const fields = useLoad(async () => {
    const [account, contact] = await Promise.all([api.fields(connection.id, 'Account'), api.fields(connection.id, 'Contact')]);
    return { Account: account.fields, Contact: contact.fields };
  }, [api, connection.id]);

  const edit = (change: Partial<SettingsForm>) => {
    setForm((current) => ({ ...current, ...change }));
    setNotice(null);
  };
  const conflict = problem instanceof ApiError && problem.code === 'REVISION_CONFLICT';
  const dirty = patchOf(opened, form) !== null;

  const save = async () => {
    const patch = patchOf(opened, form);
    if (!patch) return setNotice('Nothing changed.');
    setSaving(true);
    setProblem(null);
    try {
      const saved = await api.save(connection.id, patch);
      setOpened(saved);
      setForm(formOf(saved));
      onSaved(saved);
      setNotice(`Saved (revision ${saved.revision}). The apps pick the change up at once.`);
    } catch (error) {
      setProblem(error);
      const target = error instanceof ApiError ? tabOf(error.field) : null;
      if (target) setTab(target);
    } finally {
      setSaving(false);
    }
  };

  const keepEditsOnLatest = async () => {
    try {
      const latest = await api.connection(connection.id);
      setForm(rebase(form, opened, latest));
      setOpened(latest);
      setProblem(null);
      setNotice(`Your edits now sit on revision ${latest.revision}: review them and save again.`);
    } catch (error) {
      setProblem(error);
    }
  };

  const disconnect = async () => {
    try {
      await api.disconnect(connection.id);
      go({ screen: 'connections' });
    } catch (error) {
      setConfirming(false);
      setProblem(error);
    }
  };

  const accountFields = fields.data?.Account ?? [];
  const externalIds = externalIdCandidates(accountFields).map((f) => ({ value: f.name, label: `${f.label} (${f.name} · ${f.type})` }));
  if (form.accountExternalIdField && !externalIds.some((o) => o.value === form.accountExternalIdField)) externalIds.unshift({ value: form.accountExternalIdField, label: form.accountExternalIdField });
  const generalError = problem && !conflict && !(problem instanceof ApiError && tabOf(problem.field)) ? problem : null;

  return (
    <Stack>
      <Tabs value={tab} onChange={(value) => value && setTab(value as SettingsTab)}>
        <Tabs.List>
          <Tabs.Tab value="connection">Connection</Tabs.Tab>
          <Tabs.Tab value="source">Source</Tabs.Tab>
          <Tabs.Tab value="destination">Destination</Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="connection" pt="md">
          <Stack maw={560}>
            <Switch label="Enabled" description="Off: nothing is synced in either direction; settings and links are kept." checked={form.enabled} onChange={(e) => edit({ enabled: e.currentTarget.checked })} error={errorOn(problem, 'enabled')} />
            <TextInput label="Name" value={form.name} onChange={(e) => edit({ name: e.currentTarget.value })} error={errorOn(problem, 'name')} />
            <Select
              label="External ID for Accounts"
              description="The Account field that holds journy's account ID (writable text or number, External ID or Unique); from the org's live fields."
              data={externalIds}
              value={form.accountExternalIdField}
              onChange={(value) => edit({ accountExternalIdField: value })}
              clearable
              searchable
              placeholder={fields.loading ? 'loading the org’s fields…' : externalIds.length === 0 ? 'no Account field can serve' : 'pick a field'}
              error={errorOn(problem, 'accountExternalIdField')}
              nothingFoundMessage="no such field"
            />
            {fields.error ? <ErrorAlert error={fields.error} title="The org's fields could not be read" /> : null}
          </Stack>
        </Tabs.Panel>

        <Tabs.Panel value="source" pt="md">
          <Stack maw={560}>
            <Switch label="Ongoing import" description="Keep importing Salesforce accounts and contacts as they are created or changed." checked={form.ongoingImport} onChange={(e) => edit({ ongoingImport: e.currentTarget.checked })} error={errorOn(problem, 'source.ongoingImport')} />
            <Select
              label="Change events from"
              data={[{ value: 'default', label: 'the instance default' }, { value: 'pubsub', label: 'Pub/Sub API (gRPC)' }, { value: 'cometd', label: 'Streaming API (CometD)' }]}
              value={form.changeStream ?? 'default'}
              onChange={(value) => edit({ changeStream: value === 'pubsub' || value === 'cometd' ? value : null })}
              allowDeselect={false}
              error={errorOn(problem, 'source.changeStream')}
            />
            {opened.stream ? (
              <Text size="sm" c="dimmed" data-testid="stream">
                Streaming from {opened.stream.source ?? 'the default'}{opened.stream.lastCommitAt ? `, last change at ${new Date(opened.stream.lastCommitAt).toLocaleString()}` : ''}
                {opened.stream.fallbackReason ? ` (fell back: ${opened.stream.fallbackReason})` : ''}
              </Text>
            ) : null}
          </Stack>
        </Tabs.Panel>

        <Tabs.Panel value="destination" pt="md">
          <Stack>
            <TagsInput label="User segments" description="Only members of these journy segments are pushed to contacts; none: every user." value={form.userSegments} onChange={(value) => edit({ userSegments: value })} error={errorOn(problem, 'destination.userSegments')} maw={560} />
            <TagsInput label="Account segments" description="Only members of these segments are pushed to accounts; none: every account." value={form.accountSegments} onChange={(value) => edit({ accountSegments: value })} error={errorOn(problem, 'destination.accountSegments')} maw={560} />
            <Switch label="Create contacts" description="Off: only contacts that already exist are updated." checked={form.createContacts} onChange={(e) => edit({ createContacts: e.currentTarget.checked })} />
            <Switch label="Create accounts" description="Off: only accounts that already exist are updated." checked={form.createAccounts} onChange={(e) => edit({ createAccounts: e.currentTarget.checked })} />
            <Divider label="Contacts" labelPosition="left" />
            <Title order={4} size="h6">Default mappings</Title>
            <DefaultMappings object="Contact" mappings={opened.settings.destination.defaultContactMappings} />
            <Title order={4} size="h6">Extra mappings</Title>
            <MappingsEditor object="Contact" list="contactMappings" mappings={form.contactMappings} fields={fields.data?.Contact ?? null} problem={problem} onChange={(m) => edit({ contactMappings: m })} />
            <Divider label="Accounts" labelPosition="left" />
            <Title order={4} size="h6">Default mappings</Title>
            <DefaultMappings object="Account" mappings={opened.settings.destination.defaultAccountMappings} />
            <Title order={4} size="h6">Extra mappings</Title>
            <MappingsEditor object="Account" list="accountMappings" mappings={form.accountMappings} fields={fields.data?.Account ?? null} problem={problem} onChange={(m) => edit({ accountMappings: m })} />
          </Stack>
        </Tabs.Panel>
      </Tabs>

      {conflict ? (
        <Alert color="orange" title="These settings were saved elsewhere meanwhile" role="alert" data-testid="conflict">
          <Text size="sm">Nothing was overwritten, and your edits are still here.</Text>
          <Button size="xs" mt="xs" onClick={() => void keepEditsOnLatest()}>Put my edits on the latest settings</Button>
        </Alert>
      ) : null}
      {problem && !conflict && problem instanceof ApiError && tabOf(problem.field) ? <Text size="sm" c="red" role="alert">Not saved: {problem.message}</Text> : null}
      {generalError ? <ErrorAlert error={generalError} title="Not saved" /> : null}
      {notice ? <Text size="sm" c="teal" role="status" data-testid="notice">{notice}</Text> : null}
      <Group justify="space-between">
        <Button color="red" variant="outline" onClick={() => setConfirming(true)}>Disconnect</Button>
        <Button onClick={() => void save()} loading={saving} disabled={!dirty && !problem}>Save</Button>
      </Group>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={`Disconnect ${connection.name}?`} centered>
        <Stack>
          <Text size="sm">journy revokes its access at Salesforce, stops syncing with this org and deletes the connection with its settings. Records already synced stay where they are, on both sides; the log stays until it expires.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>Keep it</Button>
            <Button color="red" onClick={() => void disconnect()}>Disconnect</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
