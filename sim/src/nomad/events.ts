// GET /v1/event/stream: NDJSON frames from the state's event buffer and live publications, `{}`
// heartbeats, topic/key and namespace filtering, and `index` replay (nomad-wire-shapes.md §5).
// `namespace=*` is expanded once, when the stream opens (nomad/event_endpoint.go validateACL): a
// namespace created later gets no events on that stream, as on a real agent.
import type { ServerResponse } from 'node:http';
import type { EventFrame, NomadEvent } from './types.js';
import type { SimReply, SimRequest } from '../http.js';
import type { NomadState } from './state.js';

export interface StreamRegistry {
  heartbeatMs: number;
  open: Set<ServerResponse>;
}

type Topics = Map<string, Set<string>> | undefined;

function parseTopics(values: string[]): Topics {
  if (values.length === 0) return undefined;
  const m = new Map<string, Set<string>>();
  for (const v of values) {
    const i = v.indexOf(':');
    const topic = i < 0 ? v : v.slice(0, i);
    const key = i < 0 ? '*' : v.slice(i + 1);
    if (!m.has(topic)) m.set(topic, new Set());
    m.get(topic)!.add(key);
  }
  return m;
}

function wanted(e: NomadEvent, topics: Topics, namespaces: Set<string>): boolean {
  if (e.Namespace !== '' && !namespaces.has(e.Namespace)) return false;
  if (!topics) return true;
  const keys = topics.get(e.Topic) ?? topics.get('*');
  if (!keys) return false;
  return keys.has('*') || keys.has(e.Key) || (e.FilterKeys ?? []).some((k) => keys.has(k));
}

function filterFrame(f: EventFrame, topics: Topics, namespaces: Set<string>, allow: (e: NomadEvent) => boolean): EventFrame | undefined {
  const events = f.Events.filter((e) => wanted(e, topics, namespaces) && allow(e));
  return events.length ? { Index: f.Index, Events: events } : undefined;
}

/** Which buffered batches a new subscriber starting at `index` receives first. */
export function replayFrom(buffer: EventFrame[], index: number): EventFrame[] {
  if (buffer.length === 0) return [];
  if (index <= 0) return buffer.slice();
  const newest = buffer[buffer.length - 1]!;
  if (index > newest.Index) return [newest];
  return buffer.filter((f) => f.Index >= index);
}

/** `allow` is the per-event ACL filter (Variable events need the path's `list` capability). */
export function eventStream(state: NomadState, reg: StreamRegistry, req: SimRequest, allow: (e: NomadEvent) => boolean = () => true): SimReply {
  const topics = parseTopics(req.query.getAll('topic'));
  const ns = req.query.get('namespace') || 'default';
  const namespaces = new Set(ns === '*' ? [...state.namespaces.keys()] : [ns]);
  const index = Number(req.query.get('index') ?? '0');
  if (!Number.isFinite(index) || index < 0) return { status: 400, text: 'Unable to parse index: invalid syntax' };
  const res = req.res;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  res.write('{}\n');
  reg.open.add(res);
  const send = (f: EventFrame) => {
    const out = filterFrame(f, topics, namespaces, allow);
    if (out && !res.writableEnded) res.write(`${JSON.stringify(out)}\n`);
  };
  for (const f of replayFrom(state.buffer, index)) send(f);
  const off = state.onFrame(send);
  const beat = setInterval(() => {
    if (!res.writableEnded) res.write('{}\n');
  }, reg.heartbeatMs);
  const done = () => {
    clearInterval(beat);
    off();
    reg.open.delete(res);
  };
  res.on('close', done);
  return { handled: true };
}
