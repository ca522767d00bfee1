import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ValidationError, RetryableError } from '@connector/domain';
import * as avro from 'avsc';
import { loadContractSchema } from './contracts';
import type { ContractTypes } from './contracts/contract-types.generated';
import { ContractName, valueSubject } from './topics';

export interface RegisteredSchema {
  id: number;
  subject: string;
  type: avro.Type;
}

/** The first byte of the Confluent wire format, followed by a 4-byte schema id. */
const MAGIC_BYTE = 0;

/**
 * Avro values in the Confluent wire format through a Confluent-compatible schema registry (Apicurio's ccompat API
 * here, Confluent's in production). Schemas are registered under TopicNameStrategy subjects; the registry
 * refuses a version that breaks the subject's compatibility (BACKWARD).
 */
export class AvroSerde {
  private readonly registry: SchemaRegistry;
  private readonly byContract = new Map<string, RegisteredSchema>();

  constructor(registryUrl: string) {
    this.registry = new SchemaRegistry({ host: registryUrl.replace(/\/$/, '') });
  }

  /** Registers (or finds) a contract's schema under `<topic>-value`; idempotent. */
  async registerContract(contract: ContractName, topic: string = contract): Promise<RegisteredSchema> {
    const cached = this.byContract.get(topic);
    if (cached) return cached;
    const registered = await this.register(topic, loadContractSchema(contract));
    this.byContract.set(topic, registered);
    return registered;
  }

  /** Registers any Avro schema under a topic's value subject; an incompatible version is a ValidationError. */
  async register(topic: string, schema: Record<string, unknown>): Promise<RegisteredSchema> {
    const subject = valueSubject(topic);
    const type = avro.Type.forSchema(schema as avro.Schema);
    try {
      return { id: await this.registerOnce(subject, schema), subject, type };
    } catch (error) {
      const status = (error as { status?: number }).status;
      const message = error instanceof Error ? error.message : String(error);
      if (isCompatibilityMismatch(error)) {
        throw new ValidationError('SCHEMA_COMPATIBILITY_MISMATCH', `${subject} is set to another compatibility than BACKWARD: ${message}`, { cause: error });
      }
      if (status === 409 || /incompatible/i.test(message)) {
        throw new ValidationError('SCHEMA_INCOMPATIBLE', `schema for ${subject} is incompatible with the registered versions: ${message}`, { cause: error });
      }
      if (status !== undefined && status >= 400 && status < 500) {
        throw new ValidationError('SCHEMA_REJECTED', `schema registry refused ${subject}: ${message}`, { cause: error });
      }
      throw new RetryableError('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry unavailable while registering ${subject}: ${message}`, { cause: error });
    }
  }

  /**
   * One registration. The client sets a new subject's compatibility (BACKWARD) only after its first version is
   * stored; a process stopped in between leaves a subject without one, which Apicurio reports as NONE, and the
   * client then refuses every later registration. Such a subject gets the compatibility a first registration
   * sets, and the registration is made again.
   */
  private async registerOnce(subject: string, schema: Record<string, unknown>): Promise<number> {
    const register = async () => (await this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })).id;
    try {
      return await register();
    } catch (error) {
      if (!isCompatibilityMismatch(error) || !/ != NONE\)$/.test((error as Error).message)) throw error;
      await (this.registry as unknown as RegistryApi).api.Subject.updateConfig({ subject, body: { compatibility: 'BACKWARD' } });
      return register();
    }
  }

  /** Encodes a value of a registered topic, checking it against the schema first (a clear path when invalid). */
  async encode<C extends ContractName>(topic: string, value: ContractTypes[C]): Promise<Buffer> {
    const registered = this.byContract.get(topic);
    if (!registered) throw new Error(`no schema registered for topic ${topic}: call registerContract first`);
    const problems: string[] = [];
    registered.type.isValid(value, {
      errorHook: (path, invalid) => problems.push(`${path.join('.') || '(value)'}=${JSON.stringify(invalid)?.slice(0, 80)}`),
    });
    if (problems.length > 0) {
      throw new ValidationError('INVALID_MESSAGE', `value does not match ${registered.subject}: ${problems.slice(0, 5).join(', ')}`);
    }
    return this.registry.encode(registered.id, value);
  }

  /**
   * Decodes a Confluent-framed Avro value. Bytes that are not such a frame, or name a schema the registry does
   * not have, are a ValidationError (poison); an unreachable registry is retryable.
   */
  async decode<T = unknown>(buffer: Buffer | null): Promise<T> {
    if (!buffer || buffer.length < 6 || buffer.readUInt8(0) !== MAGIC_BYTE) {
      throw new ValidationError('NOT_AVRO', 'value is not in the Confluent Avro wire format (magic byte 0 and a schema id)');
    }
    try {
      return (await this.registry.decode(buffer)) as T;
    } catch (error) {
      const status = (error as { status?: number }).status;
      const message = error instanceof Error ? error.message : String(error);
      if (status === 404 || (status === undefined && !/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|socket|network/i.test(message))) {
        throw new ValidationError('UNDECODABLE', `cannot decode value with schema id ${buffer.readUInt32BE(1)}: ${message}`, { cause: error });
      }
      throw new RetryableError('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry unavailable while decoding: ${message}`, { cause: error });
    }
  }

  /** For health checks: the registry answers and lists subjects. */
  async ping(): Promise<void> {
    await (this.registry as unknown as RegistryApi).api.Subject.all();
  }
}

/** The client's own API calls, which it does not expose in its types. */
interface RegistryApi {
  api: { Subject: { all(): Promise<unknown>; updateConfig(args: { subject: string; body: { compatibility: string } }): Promise<unknown> } };
}

/** The client refused to register because the subject's compatibility is not the one it asks for (BACKWARD). */
function isCompatibilityMismatch(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConfluentSchemaRegistryCompatibilityError';
}
