import pino, { Logger, LoggerOptions, DestinationStream } from 'pino';
import { redact, redactString } from './redaction';

export type { Logger } from 'pino';

export interface LoggerConfig {
  /** The app's name, on every line. */
  name: string;
  level?: string;
}

/** JSON logs (pino) with redaction of tokens, emails and phone numbers in both the message and the fields. */
export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: config.name,
    level: config.level ?? 'info',
    base: { app: config.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object) as Record<string, unknown>,
    },
    serializers: { err: (error: unknown) => redact(error), error: (error: unknown) => redact(error) },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg));
        return method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
