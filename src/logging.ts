// The Logger implementation (src/core/logger.ts): JSON lines for machines, one readable line for
// terminals. Every record passes a redaction step first, so a token that slips into a field under a
// telling key never reaches the stream. NestLoggerAdapter routes Nest's own messages through it.
import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogFields, Logger } from './core/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|passwd|authorization|credential|private[_-]?key/i;
export const REDACTED = '<redacted>';

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** default process.stderr for pretty, process.stdout for json */
  stream?: { write(s: string): unknown };
  /** epoch ms source; tests pin it */
  now?: () => number;
}

/** Replaces the value of every key that looks secret, at any depth; cycles are cut. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== undefined ? REDACTED : redact(v, seen);
  return out;
}

export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stdout;
  const now = opts.now ?? Date.now;
  const min = LEVELS[opts.level];
  const format = opts.format === 'pretty' ? formatPretty : formatJson;
  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      const merged = redact({ ...bound, ...fields }) as LogFields;
      stream.write(format(new Date(now()).toISOString(), level, msg, merged) + '\n');
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...bound, ...f }),
    };
  };
  return make({});
}

function formatJson(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  // time/level/msg come first and cannot be overwritten by a field of the same name.
  const rest = { ...fields };
  delete rest.time;
  delete rest.level;
  delete rest.msg;
  return JSON.stringify({ time, level, msg, ...rest });
}

function formatPretty(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  const kv = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${prettyValue(v)}`);
  return [time.slice(11, 23), level.toUpperCase().padEnd(5), msg, ...kv].join(' ');
}

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** Nest's LoggerService on top of a drover Logger; Nest's "context" becomes a field. */
export class NestLoggerAdapter implements LoggerService {
  constructor(private readonly logger: Logger) {}

  // Nest's "log" level is framework chatter (route mapping, module init): debug for drover.
  log(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack, context); the stack is dropped on purpose: no stack traces in logs.
    this.write('error', message, rest.length > 1 ? rest.slice(-1) : rest.filter((r) => typeof r === 'string' && !r.includes('\n    at ')));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  setLogLevels(_levels: NestLogLevel[]): void {}

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    const context = rest.find((r): r is string => typeof r === 'string');
    const msg = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(redact(message));
    this.logger[level](msg, context ? { component: context } : undefined);
  }
}
