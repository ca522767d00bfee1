import { z } from 'zod';

/** The one error shape of the API; `errorId` also appears in the log line of the failure. */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    errorId: z.uuid(),
    field: z.string().optional(),
    details: z.unknown().optional(),
  }),
});

export type ApiErrorBody = z.infer<typeof errorBody>;
