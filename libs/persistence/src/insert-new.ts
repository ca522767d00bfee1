import { refusedStatements } from './bulk-write-failures';
import { isDuplicateKeyError } from './errors';

/**
 * Inserts documents, skipping those whose _id is already stored (ordered: false goes on past duplicates).
 * Returns the _ids that were already there. Plain inserts, because bulk upserts are orders of magnitude
 * slower on FerretDB (each is a scan) while inserts batch well on both stores.
 */
export async function insertNew(collection: { insertMany(docs: object[], options: { ordered: boolean }): Promise<unknown> }, docs: { _id: string }[]): Promise<string[]> {
  if (docs.length === 0) return [];
  try {
    await collection.insertMany(docs, { ordered: false });
    return [];
  } catch (error) {
    const refused = refusedStatements(error);
    if (!refused) {
      if (isDuplicateKeyError(error) && docs.length === 1) return [docs[0]._id];
      throw error;
    }
    if (refused.some((r) => r.code !== 11000)) throw error;
    return refused.map((r) => docs[r.index]._id);
  }
}
