/**
 * Change-event header bitmaps (changedFields, nulledFields, diffFields over Pub/Sub): `0x<hex>` selects top-level
 * fields by position in the event's Avro schema, bit 0 being the least significant; `<index>-0x<hex>` selects the
 * children of the compound field at that index, named `<parent>.<child>`.
 */

/** A field of an Avro record schema, as much as the bitmaps need: its name, and the record it holds (compound fields). */
export interface BitmapField {
  name: string;
  children: string[] | null;
}

export class BitmapError extends Error {}

export function fieldNamesFromBitmap(elements: readonly string[], fields: readonly BitmapField[]): string[] {
  const names: string[] = [];
  for (const element of elements) {
    const dash = element.indexOf('-');
    if (dash < 0) {
      for (const index of setBits(element)) {
        if (index >= fields.length) throw new BitmapError(`bit ${index} of ${element} is past the schema's ${fields.length} fields`);
        names.push(fields[index].name);
      }
      continue;
    }
    const parentIndex = Number(element.slice(0, dash));
    const parent = Number.isInteger(parentIndex) ? fields[parentIndex] : undefined;
    if (!parent?.children) throw new BitmapError(`${element} names field ${element.slice(0, dash)}, which is not a compound field`);
    for (const index of setBits(element.slice(dash + 1))) {
      if (index >= parent.children.length) throw new BitmapError(`bit ${index} of ${element} is past ${parent.name}'s ${parent.children.length} fields`);
      names.push(`${parent.name}.${parent.children[index]}`);
    }
  }
  return names;
}

/** The positions of the set bits of `0x<hex>`, least significant first. */
function setBits(hex: string): number[] {
  if (!/^0x[0-9A-Fa-f]+$/.test(hex)) throw new BitmapError(`not a field bitmap: ${JSON.stringify(hex)}`);
  const digits = hex.slice(2);
  const bits: number[] = [];
  for (let d = 0; d < digits.length; d++) {
    const value = parseInt(digits[digits.length - 1 - d], 16);
    for (let b = 0; b < 4; b++) if (value & (1 << b)) bits.push(d * 4 + b);
  }
  return bits;
}
