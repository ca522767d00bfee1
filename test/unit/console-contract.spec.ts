import type { z } from 'zod';
import type { connectionView, fieldsAnswer, importView } from '../../apps/api/src/connections/connections.schemas';
import type { logPage } from '../../apps/api/src/logs/logs.schemas';
import type { Connection, ImportJob, LogPage, SalesforceField } from '../../apps/console/src/model/api-types';

/** True when every value of `From` is a value of `To`: the console reads nothing the API does not give, typed as given. */
type Reads<From, To> = [From] extends [To] ? true : false;

// Checked by the compiler (this file is part of the typecheck and of the unit tier): a change of the API's
// answers that the console does not follow fails here, naming the shape.
const connection: Reads<z.infer<typeof connectionView>, Connection> = true;
const field: Reads<z.infer<typeof fieldsAnswer>['fields'][number], SalesforceField> = true;
const importJob: Reads<z.infer<typeof importView>, ImportJob> = true;
const logs: Reads<z.infer<typeof logPage>, LogPage> = true;

describe("the console's view of the API", () => {
  it("reads the API's answers as the API's schemas type them", () => {
    expect({ connection, field, importJob, logs }).toEqual({ connection: true, field: true, importJob: true, logs: true });
  });
});
