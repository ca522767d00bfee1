import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { JournyType, TypedFieldMapping, canServeAsAccountId, validateMappings } from '@connector/mapping';
import { Connection, ConnectionPatch, ConnectionsRepository, RevisionConflictError } from '@connector/persistence';
import { isDeepStrictEqual } from 'node:util';
import type { SettingsPatch } from './connections.schemas';
import { ConnectionChangesPublisher, DescribeCache } from '@connector/org-access';

@Injectable()
export class SettingsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly describe: DescribeCache,
    private readonly changes: ConnectionChangesPublisher,
  ) {}

  async require(tenantId: string, connectionId: string): Promise<Connection> {
    const connection = /^con_[0-9a-f]{24}$/.test(connectionId) ? await this.connections.findById(tenantId, connectionId) : null;
    if (!connection) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    return connection;
  }

  /** Validates the change against the org's live metadata, saves it, and tells the other apps. */
  async update(tenantId: string, connectionId: string, patch: SettingsPatch): Promise<Connection> {
    const connection = await this.require(tenantId, connectionId);
    const settings = structuredClone(connection.settings);
    if (patch.accountExternalIdField !== undefined) {
      if (patch.accountExternalIdField !== null) {
        const fields = await this.describe.fields(connection, 'Account');
        const field = fields.get(patch.accountExternalIdField.toLowerCase());
        if (!field) throw invalid('accountExternalIdField', `Account has no field ${patch.accountExternalIdField}`);
        if (!canServeAsAccountId(field)) {
          throw invalid('accountExternalIdField', `Account.${field.name} cannot serve as the account ID: it must be a writable text or number field marked External ID or Unique`);
        }
        settings.accountExternalIdField = field.name;
      } else {
        settings.accountExternalIdField = null;
      }
    }
    if (patch.source) settings.source = { ...settings.source, ...patch.source };
    if (patch.destination) {
      const { contactMappings, accountMappings, ...flags } = patch.destination;
      Object.assign(settings.destination, flags);
      if (contactMappings) settings.destination.contactMappings = await this.checkedMappings(connection, 'Contact', contactMappings);
      if (accountMappings) settings.destination.accountMappings = await this.checkedMappings(connection, 'Account', accountMappings);
    }
    const change: ConnectionPatch = { settings };
    if (patch.name !== undefined) change.name = patch.name;
    if (patch.enabled !== undefined) change.enabled = patch.enabled;
    if (isNoOp(connection, change)) {
      // Nothing changes: no new revision, nothing published; a stale expected revision is still a conflict.
      if (patch.expectedRevision !== undefined && patch.expectedRevision !== connection.revision) {
        throw new ConflictException({ code: 'REVISION_CONFLICT', message: `connection ${connectionId} is at revision ${connection.revision}, not ${patch.expectedRevision}` });
      }
      return connection;
    }
    let updated: Connection | null;
    try {
      updated = await this.connections.update(tenantId, connectionId, change, patch.expectedRevision);
    } catch (error) {
      if (error instanceof RevisionConflictError) throw new ConflictException({ code: 'REVISION_CONFLICT', message: error.message });
      throw error;
    }
    if (!updated) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    await this.changes.changed('UPDATED', updated);
    return updated;
  }

  private async checkedMappings(connection: Connection, object: 'Contact' | 'Account', mappings: TypedFieldMapping[]) {
    const fields = await this.describe.fields(connection, object);
    const problems = validateMappings(object, mappings, fields);
    if (problems.length > 0) {
      const list = `destination.${object === 'Contact' ? 'contactMappings' : 'accountMappings'}`;
      const first = problems[0];
      throw new BadRequestException({
        code: 'INVALID_MAPPING',
        message: `${list}[${first.index}] (${first.mapping}): ${first.reason}`,
        field: `${list}[${first.index}]`,
        details: problems,
      });
    }
    // Stored with Salesforce's own spelling of the field.
    return mappings.map((m) => ({ journyProperty: m.journyProperty, journyType: m.journyType as JournyType, salesforceField: fields.get(m.salesforceField.toLowerCase())!.name }));
  }
}

function isNoOp(connection: Connection, change: ConnectionPatch): boolean {
  return (
    (change.name === undefined || change.name === connection.name) &&
    (change.enabled === undefined || change.enabled === connection.enabled) &&
    isDeepStrictEqual(JSON.parse(JSON.stringify(change.settings)), JSON.parse(JSON.stringify(connection.settings)))
  );
}

function invalid(field: string, message: string): BadRequestException {
  return new BadRequestException({ code: 'INVALID_SETTING', message: `${field}: ${message}`, field });
}
