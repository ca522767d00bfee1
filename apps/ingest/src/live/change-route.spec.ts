import type { ChangeEvent } from '@connector/salesforce';
import { routeChange } from './change-route';

const OURS = 'com/salesforce/api/rest/62.0;client=journy-connector';
const isOwnWrite = (origin: string | undefined) => origin === OURS;

function event(header: Partial<ChangeEvent['header']> | undefined): ChangeEvent {
  return { channel: '/data/ChangeEvents', replayId: '7', header: header as ChangeEvent['header'], fields: {} };
}

const contact = (changeType: string, extra: Partial<ChangeEvent['header']> = {}) =>
  event({ entityName: 'Contact', changeType, recordIds: ['003000000000001'], changeOrigin: 'com/salesforce/api/soap/62.0;client=SfdcInternalAPI/', commitTimestamp: 1, ...extra });

describe('routing a change event by object and change type', () => {
  it('skips what it cannot read, with the reason the sync log shows', () => {
    expect(routeChange(event(undefined), isOwnWrite)).toMatchObject({ kind: 'skip', reason: 'MALFORMED_EVENT' });
    expect(routeChange(event({ entityName: 'Contact', changeType: 'UPDATE' }), isOwnWrite)).toMatchObject({ kind: 'skip', reason: 'MALFORMED_EVENT' });
    expect(routeChange(event({ entityName: 'Opportunity', changeType: 'UPDATE', recordIds: ['006000000000001'] }), isOwnWrite)).toMatchObject({ kind: 'skip', reason: 'OBJECT_NOT_SYNCED', message: expect.stringContaining('Opportunity') });
    expect(routeChange(contact('UPDATE', { recordIds: ['not-an-id'] }), isOwnWrite)).toMatchObject({ kind: 'skip', reason: 'NO_RECORD_IDS' });
  });

  it('sends each change type to its handler, with ids in their 18-character form', () => {
    expect(routeChange(contact('CREATE'), isOwnWrite)).toEqual({ kind: 'create', entity: 'Contact', ids: ['003000000000001AAA'] });
    expect(routeChange(contact('UPDATE'), isOwnWrite)).toMatchObject({ kind: 'update' });
    expect(routeChange(contact('DELETE'), isOwnWrite)).toMatchObject({ kind: 'delete-or-undelete', changeType: 'DELETE' });
    expect(routeChange(contact('UNDELETE'), isOwnWrite)).toMatchObject({ kind: 'delete-or-undelete', changeType: 'UNDELETE' });
    expect(routeChange(contact('MERGE'), isOwnWrite)).toMatchObject({ kind: 'unknown-change-type', changeType: 'MERGE' });
  });

  it('re-reads gaps even when they name no record, and takes the connector’s own writes as echoes before any handler', () => {
    expect(routeChange(contact('GAP_OVERFLOW', { recordIds: [] }), isOwnWrite)).toEqual({ kind: 'reread-gap', entity: 'Contact', changeType: 'GAP_OVERFLOW', ids: [] });
    expect(routeChange(contact('GAP_UPDATE', { changeOrigin: OURS }), isOwnWrite)).toMatchObject({ kind: 'reread-gap' });
    for (const changeType of ['CREATE', 'UPDATE', 'DELETE', 'MERGE']) expect(routeChange(contact(changeType, { changeOrigin: OURS }), isOwnWrite)).toMatchObject({ kind: 'echo', changeOrigin: OURS });
  });
});
