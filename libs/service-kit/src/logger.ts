import pino from 'pino';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Log levels accepted by {@link createLogger} (and `LOG_LEVEL`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly name: string;
  readonly level: LevelWithSilent;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  readonly destination?: pino.DestinationStream;
}

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'sasl',
  '*.sasl',
  'secret',
  '*.secret',
  'mongoUrl',
  '*.mongoUrl',
  '*.url',
  'authorization',
  '*.authorization',
];

/** A pino JSON logger with secrets redacted and the worker's name on every line. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous stdout by default: the last lines before an exit are the ones that matter.
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
