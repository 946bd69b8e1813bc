// The few request/response members the controllers use (express underneath; @types/express is not a
// dependency, so these stay structural and minimal).
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequest {
  headers: IncomingHttpHeaders;
  query?: Record<string, unknown>;
  method?: string;
  url?: string;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): unknown;
  type(contentType: string): HttpResponse;
  send(body: string | Buffer): unknown;
  json(body: unknown): unknown;
  headersSent: boolean;
}
