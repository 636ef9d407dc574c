/**
 * Logging: silent unless the app passes a logger, and then through the logger it already has.
 *
 * `logger` takes console, pino, winston or bunyan as they are: every method is optional, and the
 * argument order is the logger's own (pino and bunyan take `(fields, message)`, console and
 * winston `(message, fields)`). Independently of it, every line also goes to the `debug` package
 * under `express-wecom-auth:<part>` (like express and express-session), so
 * `DEBUG=express-wecom-auth:* node app.js` traces a login step by step. Fields never hold a
 * credential: callers pass errcodes, API names, UserIds, never a code, token, ticket or secret.
 */
import createDebug from 'debug';

/** A logger as an app already has one. */
export interface WeComLogger {
  debug?(...args: never[]): unknown;
  info?(...args: never[]): unknown;
  warn?(...args: never[]): unknown;
  error?(...args: never[]): unknown;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** What the library's modules call. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether a debug line would be written anywhere (to skip building its fields). */
  readonly debugging: boolean;
}

/** pino and bunyan take the fields first; they are recognised by their own API. */
function fieldsFirst(logger: WeComLogger): boolean {
  const l = logger as { bindings?: unknown; levels?: unknown; addStream?: unknown; fields?: unknown };
  return (
    (typeof l.bindings === 'function' && typeof l.levels === 'object') ||
    (typeof l.addStream === 'function' && typeof l.fields === 'object')
  );
}

export function createLog(logger: WeComLogger | undefined, part: string): Log {
  const trace = createDebug(`express-wecom-auth:${part}`);
  const pinoStyle = logger !== undefined && fieldsFirst(logger);
  const write = (level: Level, message: string, fields?: Record<string, unknown>): void => {
    if (trace.enabled) {
      if (fields && Object.keys(fields).length > 0) trace('%s %s %o', level, message, fields);
      else trace('%s %s', level, message);
    }
    const method = logger?.[level] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof method !== 'function') return;
    const hasFields = fields !== undefined && Object.keys(fields).length > 0;
    if (pinoStyle) method.call(logger, hasFields ? fields : {}, message);
    else if (hasFields) method.call(logger, message, fields);
    else method.call(logger, message);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    get debugging() {
      return trace.enabled || typeof logger?.debug === 'function';
    },
  };
}
