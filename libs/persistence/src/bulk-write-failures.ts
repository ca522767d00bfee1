/**
 * The statements an unordered bulk write refused, by index, each with the write's error (an empty map when all
 * were applied). A command that failed as a whole, or whose errors do not say which statement, throws.
 */
export async function bulkWriteFailures(write: () => Promise<unknown>): Promise<Map<number, unknown>> {
  try {
    await write();
    return new Map();
  } catch (error) {
    const writeErrors = (error as { writeErrors?: { index?: number; err?: { index?: number } }[] }).writeErrors;
    const indexOf = (writeError: { index?: number; err?: { index?: number } }) => writeError.index ?? writeError.err?.index;
    if (!Array.isArray(writeErrors) || writeErrors.length === 0 || writeErrors.some((e) => indexOf(e) === undefined)) throw error;
    return new Map(writeErrors.map((writeError) => [indexOf(writeError)!, error]));
  }
}
