interface WriteErrorLike {
  index?: number;
  code?: number;
  err?: { index?: number; code?: number };
}

/**
 * The statements a bulk write refused, each by its index in the write and its error code; null when the error
 * does not name them (the write failed as a whole).
 */
export function refusedStatements(error: unknown): { index: number; code: number | undefined }[] | null {
  const writeErrors = (error as { writeErrors?: WriteErrorLike[] } | null)?.writeErrors;
  if (!Array.isArray(writeErrors) || writeErrors.length === 0) return null;
  const refused = writeErrors.map((writeError) => ({ index: writeError.index ?? writeError.err?.index, code: writeError.code ?? writeError.err?.code }));
  return refused.every((r) => r.index !== undefined) ? (refused as { index: number; code: number | undefined }[]) : null;
}

/**
 * The statements an unordered bulk write refused, by index, each with the write's error (an empty map when all
 * were applied). A command that failed as a whole, or whose errors do not say which statement, throws.
 */
export async function bulkWriteFailures(write: () => Promise<unknown>): Promise<Map<number, unknown>> {
  try {
    await write();
    return new Map();
  } catch (error) {
    const refused = refusedStatements(error);
    if (!refused) throw error;
    return new Map(refused.map(({ index }) => [index, error]));
  }
}
