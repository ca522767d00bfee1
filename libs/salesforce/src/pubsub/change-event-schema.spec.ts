import * as avro from 'avsc';
import { ChangeEventSchema } from './change-event-schema';

const header = {
  type: 'record', name: 'ChangeEventHeader',
  fields: ['entityName', 'changeType', 'changeOrigin', 'transactionKey', 'commitUser'].map((name) => ({ name, type: 'string' }))
    .concat([{ name: 'recordIds', type: { type: 'array', items: 'string' } } as never, { name: 'sequenceNumber', type: 'int' } as never, { name: 'commitTimestamp', type: 'long' } as never, { name: 'commitNumber', type: 'long' } as never])
    .concat(['nulledFields', 'diffFields', 'changedFields'].map((name) => ({ name, type: { type: 'array', items: 'string' } } as never))),
};
const schema = {
  type: 'record', name: 'ContactChangeEvent',
  fields: [
    { name: 'ChangeEventHeader', type: header },
    { name: 'Name', type: ['null', { type: 'record', name: 'Name', fields: [{ name: 'FirstName', type: ['null', 'string'] }, { name: 'LastName', type: ['null', 'string'] }] }], default: null },
    { name: 'Phone', type: ['null', 'string'], default: null },
    { name: 'Birthdate', type: ['null', 'long'], doc: 'Data:Date', default: null },
    { name: 'LastModifiedDate', type: ['null', 'long'], doc: 'Data:DateTime', default: null },
  ],
};
const type = avro.Type.forSchema(schema as avro.Schema);
const decoder = new ChangeEventSchema('schema-1', JSON.stringify(schema));
const at = Date.parse('2026-12-02T10:00:00.000Z');

function event(changeType: string, bitmaps: { changed?: string[]; nulled?: string[] }, fields: Record<string, unknown>): Buffer {
  return type.toBuffer({
    ChangeEventHeader: {
      entityName: 'Contact', changeType, changeOrigin: '', transactionKey: 't', commitUser: '005', recordIds: ['003A'], sequenceNumber: 1, commitTimestamp: at, commitNumber: 9,
      nulledFields: bitmaps.nulled ?? [], diffFields: [], changedFields: bitmaps.changed ?? [],
    },
    Name: null, Phone: null, Birthdate: null, LastModifiedDate: null, ...fields,
  });
}

describe('a Pub/Sub change event read against its schema', () => {
  it('an update keeps only the changed fields; a nulled one is a clear; compound parts stay nested', () => {
    // Bits: 2 Phone, 4 LastModifiedDate; Name (1) child 1 LastName.
    const decoded = decoder.decode(event('UPDATE', { changed: ['0x14', '1-0x02'], nulled: ['0x04'] }, { Name: { FirstName: null, LastName: 'King' }, LastModifiedDate: at }), '/data/ChangeEvents', 'AAAA');
    expect(decoded.header.changedFields).toEqual(['Phone', 'LastModifiedDate', 'Name.LastName']);
    expect(decoded.header.nulledFields).toEqual(['Phone']);
    expect(decoded.fields).toEqual({ Phone: null, LastModifiedDate: '2026-12-02T10:00:00.000Z', Name: { LastName: 'King' } });
    expect(decoded).toMatchObject({ channel: '/data/ChangeEvents', replayId: 'AAAA' });
    expect(decoded.decodeError).toBeUndefined();
  });

  it('a create has every non-null field, dates as dates', () => {
    const decoded = decoder.decode(event('CREATE', {}, { Name: { FirstName: 'Ada', LastName: 'Lovelace' }, Birthdate: Date.parse('1815-12-10T00:00:00Z'), LastModifiedDate: at }), '/data/ChangeEvents', 'AAAB');
    expect(decoded.fields).toEqual({ Name: { FirstName: 'Ada', LastName: 'Lovelace' }, Birthdate: '1815-12-10', LastModifiedDate: '2026-12-02T10:00:00.000Z' });
  });

  it('a bitmap that does not fit the schema is reported, with the header kept', () => {
    const decoded = decoder.decode(event('UPDATE', { changed: ['5'] }, {}), '/data/ChangeEvents', 'AAAC');
    expect(decoded.decodeError).toMatch(/bitmaps do not match schema schema-1/);
    expect(decoded.header.recordIds).toEqual(['003A']);
    expect(decoded.fields).toEqual({});
  });
});
