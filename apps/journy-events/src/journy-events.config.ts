import { httpFragment, kafkaFragment, loadConfig, mongoFragment, type Env } from '@connector/config';
import { z } from 'zod';

/** Every variable of the journy-events app; documented in .env.example. */
export const journyEventsConfigSchema = z.object({
  ...httpFragment('JOURNY_EVENTS_PORT', 3002),
  ...kafkaFragment,
  ...mongoFragment,
});

export type JournyEventsConfig = z.infer<typeof journyEventsConfigSchema>;

export function loadJournyEventsConfig(env: Env = process.env): JournyEventsConfig {
  return loadConfig(journyEventsConfigSchema, env);
}
