// One exception filter for every route: the reply is always JSON `{error, message}` with the right
// status, never a stack trace. Unknown failures become a 500 with a fixed message and are logged.
import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '../core/logger.js';
import type { HttpResponse } from './http-types.js';

const CODES: Record<number, string> = {
  400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 409: 'conflict',
  413: 'payload-too-large', 415: 'unsupported-media-type', 429: 'too-many-requests', 503: 'unavailable',
};

export interface ErrorBody {
  error: string;
  message: string;
}

export function errorBody(status: number, message: string): ErrorBody {
  return { error: CODES[status] ?? (status >= 500 ? 'internal' : 'error'), message };
}

@Catch()
export class JsonExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const req = host.switchToHttp().getRequest<{ method?: string; url?: string }>();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = messageOf(exception.getResponse()) ?? exception.message;
    } else if (isHttpError(exception)) {
      // body-parser errors (malformed JSON, too large) carry their own 4xx status
      status = exception.status;
      message = status < 500 ? exception.message : message;
    }
    if (status >= 500) {
      this.logger.error('request failed', { method: req.method, path: req.url?.split('?')[0], status, error: exception instanceof Error ? exception.message : String(exception) });
    }
    if (res.headersSent) return;
    res.status(status).json(errorBody(status, message));
  }
}

function messageOf(r: string | object): string | undefined {
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  if (Array.isArray(m)) return m.join('; ');
  return typeof m === 'string' ? m : undefined;
}

function isHttpError(e: unknown): e is { status: number; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number' && (e as { status: number }).status >= 400 && (e as { status: number }).status < 600;
}
