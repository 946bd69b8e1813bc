// A plain fetch client for the contract tests: no drover code on the path, so what the tests assert is
// the wire behaviour itself (status, headers, raw text and, when it parses, JSON).

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // contract tests read arbitrary API JSON
}

export class RawHttp {
  constructor(readonly base: string, readonly headers: Record<string, string> = {}) {}

  async call(method: string, path: string, body?: string | object, signal?: AbortSignal): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method, headers: this.headers, signal,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  get = (p: string) => this.call('GET', p);
  put = (p: string, body?: string | object) => this.call('PUT', p, body);
  post = (p: string, body?: string | object) => this.call('POST', p, body);
  del = (p: string) => this.call('DELETE', p);
}
