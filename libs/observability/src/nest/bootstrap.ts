import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { createLogger } from '../logger';
import { PinoNestLogger } from './pino-nest-logger';

export interface BootstrapOptions {
  logger: Logger;
  module: DynamicModule;
  port: number;
  host: string;
  shutdownTimeoutMs: number;
  /** Applied to the HTTP app before it listens (body limits, prefixes, microservices it connects, …). */
  configure?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Starts an app (modules initialised first, then the microservices it connected, then HTTP) and stops it
 * gracefully on SIGTERM/SIGINT through Nest's own lifecycle: `app.close()` runs the destroy, before-shutdown
 * and shutdown hooks (consumers leave their groups and commit, producers flush, stores disconnect). A process
 * that has not stopped within the timeout exits with an error rather than hang; one that did exits 0.
 */
export async function bootstrap(options: BootstrapOptions): Promise<INestApplication> {
  const { logger } = options;
  const app = await NestFactory.create(options.module, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  await options.configure?.(app);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await app.init();
  // HTTP first: joining a busy consumer group can take a rebalance timeout, and the process is alive meanwhile.
  await app.listen(options.port, options.host);
  logger.info({ port: options.port, host: options.host }, 'listening');
  await app.startAllMicroservices();
  return app;
}

/** Ends the process with one clear line when the app cannot start (bad config, unreachable dependency). */
export function exitOnStartupFailure(logger: Logger | undefined, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (logger) {
    logger.fatal({ err: error }, message);
    logger.flush();
  }
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export interface StartAppOptions<C> {
  name: string;
  /** Reads and validates the environment; throws a ConfigError naming what is wrong. */
  loadConfig: () => C;
  settings: (config: C) => { port: number; host: string; logLevel: string; shutdownTimeoutMs: number };
  module: (config: C, logger: Logger) => DynamicModule;
  configure?: (app: INestApplication, config: C) => void | Promise<void>;
}

/** An app's whole main: validated config, JSON logs, the Nest app, graceful shutdown, one-line startup failures. */
export async function startApp<C>(options: StartAppOptions<C>): Promise<INestApplication | undefined> {
  let logger: Logger | undefined;
  try {
    const config = options.loadConfig();
    const settings = options.settings(config);
    logger = createLogger({ name: options.name, level: settings.logLevel });
    return await bootstrap({
      logger,
      module: options.module(config, logger),
      port: settings.port,
      host: settings.host,
      shutdownTimeoutMs: settings.shutdownTimeoutMs,
      configure: options.configure ? (app) => options.configure!(app, config) : undefined,
    });
  } catch (error) {
    exitOnStartupFailure(logger, error);
  }
}
