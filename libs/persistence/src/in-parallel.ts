/** How many point reads run at once (by _id: the one lookup every MongoDB-compatible store does fast). */
export const READ_CONCURRENCY = 32;

export { inParallel } from '@connector/domain';
