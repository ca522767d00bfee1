import { TOOLING_OBJECTS } from './metadata';
import { to18 } from './ids';
import { Org } from './org';
import { RestApi, RestCall, RestContext, RestResult } from './rest';

/**
 * A minimal Tooling API (`/services/data/vXX.X/tooling/…`): query, queryMore and describe over EntityDefinition,
 * whose rows mirror the org's objects at each call. Other tooling objects answer INVALID_TYPE, as an unknown
 * object does on a real org.
 */
export class ToolingApi {
  private readonly tooling = new Org({ objects: TOOLING_OBJECTS });
  private readonly rest = new RestApi(this.tooling, { lockRowRate: 0 }, 'tooling/');

  constructor(private readonly org: Org) {}

  handle(call: RestCall, ctx: RestContext): RestResult {
    this.mirror();
    return this.rest.handle(call, ctx);
  }

  private mirror(): void {
    let n = 0;
    for (const object of this.org.schema.objects.values()) {
      n++;
      this.tooling.putSystemRecord('EntityDefinition', {
        Id: to18(`4ie5g${String(n).padStart(10, '0')}`), IsDeleted: false, DurableId: object.name, QualifiedApiName: object.name, DeveloperName: object.name,
        NamespacePrefix: null, Label: object.label, PluralLabel: object.labelPlural, KeyPrefix: object.keyPrefix, IsCustomizable: object.name !== 'Organization', IsQueryable: true,
      });
    }
  }
}
