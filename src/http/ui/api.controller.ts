// The JSON the UI needs beyond /apps: one app's page (status, history, source, rendered job, routes,
// drift rows with live values), recent activity, and what this drover allows (is the admin token set).
// Everything shown is redacted as /apps is (detail.ts). Read-only: no endpoint here changes anything.
import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { NomadApi } from '../../clients/types.js';
import type { Config } from '../../config.js';
import type { NomadJob } from '../../core/nomad-types.js';
import type { AppStatus } from '../../core/status.js';
import { HISTORY_PER_APP, HISTORY_TOTAL, type History, type HistoryEvent } from '../../controller/history.js';
import type { ControllerApi } from '../../controller/types.js';
import type { SnapshotSource } from '../../source/types.js';
import { CONFIG, CONTROLLER, NOMAD, SOURCE } from '../tokens.js';
import { diffRows, redactJob, redactSourceText, renderFromFile, routesOf, type DiffRow, type Route } from './detail.js';
import { HISTORY } from './tokens.js';

/** the loader's own per-file cap: a bigger file was never loaded, so it is not shown either */
const MAX_SOURCE_BYTES = 1 << 20;

export interface AppDetail {
  status: AppStatus;
  history: HistoryEvent[];
  source?: { file: string; line: number; revision: string; snapshotRevision: string; text: string };
  job?: unknown;
  routes: Route[];
  diff: DiffRow[];
  /** why the source, job or live side could not be shown */
  notes: string[];
}

@Controller('ui/api')
export class UiApiController {
  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(HISTORY) private readonly history: History,
    @Inject(SOURCE) private readonly source: SnapshotSource,
    @Inject(NOMAD) private readonly nomad: NomadApi,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get('info')
  info(): unknown {
    return {
      revision: this.controller.revision() ?? null,
      leader: this.controller.leader(),
      owner: this.config.cluster.owner,
      adminEnabled: Boolean(this.config.adminToken),
      history: { perApp: HISTORY_PER_APP, total: HISTORY_TOTAL },
    };
  }

  @Get('history')
  recent(@Query('limit') limit?: string): { events: HistoryEvent[] } {
    const n = Math.min(500, Math.max(1, Number.parseInt(limit ?? '100', 10) || 100));
    return { events: this.history.recent(n) };
  }

  @Get('apps/:namespace/:name')
  async app(@Param('namespace') namespace: string, @Param('name') name: string): Promise<AppDetail> {
    const status = this.controller.getApp(namespace, name);
    if (!status) throw new NotFoundException(`app ${namespace}/${name} is not known`);
    const out: AppDetail = { status, history: this.history.list(namespace, name), routes: [], diff: [], notes: [] };
    const snap = this.source.state().snapshot;
    const src = status.source;
    let desired: NomadJob | undefined;
    let ignoreCount = false;
    if (src && snap) {
      const text = await readSource(snap.dir, src.file);
      if (text === undefined) out.notes.push(`${src.file} cannot be read from the snapshot at ${snap.revision.slice(0, 12)}`);
      else {
        out.source = { file: src.file, line: src.line, revision: src.revision, snapshotRevision: snap.revision, text: redactSourceText(text) };
        const rendered = renderFromFile(src.file, text, `${namespace}/${name}`, this.config.cluster);
        if (rendered.problem) out.notes.push(rendered.problem);
        desired = rendered.job;
        ignoreCount = rendered.app?.manifest.spec.scaling !== undefined;
      }
    } else if (!src) out.notes.push('no app declares this job: it is a managed job pending prune');
    if (desired) {
      out.job = redactJob(desired);
      out.routes = routesOf(desired, this.config.cluster.traefikPrefix);
    }
    if (status.drift.length > 0) {
      let live: NomadJob | null | undefined;
      try {
        live = (await this.nomad.readJob(name, { namespace })).value;
      } catch (e) {
        out.notes.push(`the live job could not be read: ${(e as { code?: string }).code ?? 'error'}`);
      }
      out.diff = diffRows(status.drift, desired, live, ignoreCount);
    }
    return out;
  }
}

async function readSource(dir: string, file: string): Promise<string | undefined> {
  const path = normalize(join(dir, file));
  if (!path.startsWith(normalize(dir) + sep)) return undefined; // source.file comes from our own walk; belt and braces
  try {
    const buf = await readFile(path);
    return buf.length > MAX_SOURCE_BYTES ? undefined : buf.toString('utf8');
  } catch {
    return undefined;
  }
}
