import { BitmapError, fieldNamesFromBitmap, type BitmapField } from './bitmap';

const address = ['Street', 'City', 'State', 'PostalCode', 'Country'];
const fields: BitmapField[] = [
  { name: 'ChangeEventHeader', children: null }, { name: 'Name', children: null }, { name: 'Type', children: null }, { name: 'ParentId', children: null },
  { name: 'BillingAddress', children: address }, ...Array.from({ length: 17 }, (_, i) => ({ name: `F${i + 5}`, children: null })), { name: 'LastModifiedDate', children: null },
];

describe('change-event bitmaps', () => {
  it('reads top-level bits from the least significant end, and compound children by their parent index', () => {
    expect(fieldNamesFromBitmap(['0x400000', '4-0x06'], fields)).toEqual(['LastModifiedDate', 'BillingAddress.City', 'BillingAddress.State']);
    expect(fieldNamesFromBitmap(['0x06'], fields)).toEqual(['Name', 'Type']);
    expect(fieldNamesFromBitmap(['0x0006'], fields)).toEqual(['Name', 'Type']); // leading zero bytes
    expect(fieldNamesFromBitmap(['0x400000', '4-0x01'], fields)).toEqual(['LastModifiedDate', 'BillingAddress.Street']);
  });

  it('an empty list names nothing', () => {
    expect(fieldNamesFromBitmap([], fields)).toEqual([]);
  });

  it('refuses bitmaps that do not fit the schema', () => {
    expect(() => fieldNamesFromBitmap(['LastModifiedDate'], fields)).toThrow(BitmapError);
    expect(() => fieldNamesFromBitmap(['0x01000000'], fields)).toThrow(/past the schema/);
    expect(() => fieldNamesFromBitmap(['2-0x01'], fields)).toThrow(/not a compound/);
    expect(() => fieldNamesFromBitmap(['4-0x40'], fields)).toThrow(/past BillingAddress/);
  });
});
