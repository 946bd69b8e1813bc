// Per-app status for humans and dashboards, and the admin actions: sync now, approve a held prune, promote
// canaries (token checked first, by the guard; no body is read). GET /apps is served from a rendering rebuilt
// only when the controller's status version, revision or leadership moved.
import { ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Res, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import type { AppStatus } from '../core/status.js';
import type { ControllerApi, PromoteResult } from '../controller/types.js';
import type { Logger } from '../core/logger.js';
import { AdminTokenGuard } from './admin.guard.js';
import type { HttpResponse } from './http-types.js';
import { CachedRendering } from './rendering.js';
import { CONTROLLER, LOGGER } from './tokens.js';

type PromotedBody = { promoted: true } & Omit<Extract<PromoteResult, { outcome: 'promoted' }>, 'outcome'>;

export interface AppsList {
  revision: string | null;
  leader: ReturnType<ControllerApi['leader']>;
  brokenFiles: ReturnType<ControllerApi['brokenFiles']>;
  apps: AppStatus[];
}

@Controller('apps')
export class AppsController {
  /** the JSON of GET /apps; public so tests can count renderings */
  readonly listing = new CachedRendering(() => Buffer.from(JSON.stringify(this.build())));

  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  async list(@Res() res: HttpResponse): Promise<void> {
    const leader = this.controller.leader();
    const key = `${this.controller.statusVersion()}|${this.controller.revision() ?? ''}|${leader.isLeader}|${leader.id ?? ''}`;
    const body = await this.listing.get(key);
    res.status(200).type('application/json; charset=utf-8').send(body);
  }

  private build(): AppsList {
    return { revision: this.controller.revision() ?? null, leader: this.controller.leader(), brokenFiles: this.controller.brokenFiles(), apps: this.controller.listApps() };
  }

  @Get(':namespace/:name')
  get(@Param('namespace') namespace: string, @Param('name') name: string): AppStatus {
    const app = this.controller.getApp(namespace, name);
    if (!app) throw new NotFoundException(`app ${namespace}/${name} is not known`);
    return app;
  }

  @Post(':namespace/:name/sync')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  sync(@Param('namespace') namespace: string, @Param('name') name: string): { queued: true; app: string } {
    if (!this.controller.requestSync(namespace, name)) throw new NotFoundException(`app ${namespace}/${name} is not known`);
    this.logger.info('sync requested over HTTP', { namespace, app: name });
    return { queued: true, app: `${namespace}/${name}` };
  }

  /** A person approves stopping one managed job whose prune is held (share limit, force-push, empty set). */
  @Post(':namespace/:name/approve-prune')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  async approvePrune(@Param('namespace') namespace: string, @Param('name') name: string): Promise<{ approved: true; job: string }> {
    const r = await this.controller.approvePrune(namespace, name);
    if (r === 'not-held') throw new NotFoundException(`no held prune for ${namespace}/${name}`);
    if (r === 'not-leader') throw new ConflictException('this instance is not the leader; approve on the leader (see GET /apps leader)');
    if (r === 'unavailable') throw new ServiceUnavailableException('the prune ledger cannot be written right now; try again');
    this.logger.info('held prune approved over HTTP', { namespace, app: name });
    return { approved: true, job: `${namespace}/${name}` };
  }

  /** A person promotes the canaries of the app's running deployment (`drover promote <ns>/<app>`). */
  @Post(':namespace/:name/promote')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  async promote(@Param('namespace') namespace: string, @Param('name') name: string): Promise<PromotedBody> {
    const r = await this.controller.promote(namespace, name);
    if (r.outcome !== 'promoted') {
      if (r.outcome === 'unknown-app' || r.outcome === 'nothing-to-promote') throw new NotFoundException(r.message);
      if (r.outcome === 'unavailable') throw new ServiceUnavailableException(r.message);
      throw new ConflictException(r.message); // not-leader, refused
    }
    this.logger.info('deployment promoted over HTTP', { namespace, app: name, deployment: r.deployment });
    return { promoted: true, app: r.app, deployment: r.deployment, jobVersion: r.jobVersion, groups: r.groups };
  }
}

@Controller('prunes')
export class PrunesController {
  constructor(@Inject(CONTROLLER) private readonly controller: ControllerApi) {}

  /** Managed jobs no app declares whose stop is held, with the reason and the revision that removed them. */
  @Get()
  list(): { prunes: AppStatus[] } {
    return { prunes: this.controller.heldPrunes() };
  }
}
