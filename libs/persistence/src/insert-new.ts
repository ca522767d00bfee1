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
    const writeErrors = (error as { writeErrors?: { code?: number; index?: number; err?: { code?: number; index?: number } }[] }).writeErrors;
    if (!Array.isArray(writeErrors)) {
      if (isDuplicateKeyError(error) && docs.length === 1) return [docs[0]._id];
      throw error;
    }
    const duplicates: string[] = [];
    for (const writeError of writeErrors) {
      const code = writeError.code ?? writeError.err?.code;
      const index = writeError.index ?? writeError.err?.index;
      if (code !== 11000 || index === undefined) throw error;
      duplicates.push(docs[index]._id);
    }
    return duplicates;
  }
}
