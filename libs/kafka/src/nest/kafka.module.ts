import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HealthRegistry, LOGGER, type Logger } from '@connector/observability';
import { KafkaRuntime, KafkaRuntimeConfig } from '../kafka-runtime';

const KAFKA_CONFIG = Symbol('KAFKA_CONFIG');

/** The Nest shell around KafkaRuntime: starts it with the app, reports health, stops it in order. */
@Global()
@Module({})
export class KafkaModule implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  static forRoot(config: KafkaRuntimeConfig): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_CONFIG, useValue: config },
        { provide: KafkaRuntime, inject: [KAFKA_CONFIG, LOGGER], useFactory: (c: KafkaRuntimeConfig, logger: Logger) => new KafkaRuntime(c, logger.child({ component: 'kafka' })) },
      ],
      exports: [KafkaRuntime],
    };
  }

  constructor(
    private readonly runtime: KafkaRuntime,
    private readonly health: HealthRegistry,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaRuntimeConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.register({
      name: 'kafka',
      check: async () => {
        const cluster = await this.runtime.pingBroker();
        return { status: this.runtime.producer.isConnected() ? 'up' : 'down', details: { bootstrap: this.config.brokers, brokers: cluster.brokers, controller: cluster.controller, producer: this.runtime.producer.isConnected() ? 'connected' : 'disconnected' } };
      },
    });
    this.health.register({
      name: 'schemaRegistry',
      check: async () => {
        await this.runtime.serde.ping();
        return { status: 'up', details: { url: this.config.schemaRegistryUrl } };
      },
    });
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stopConsumers();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
