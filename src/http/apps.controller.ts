// Per-app status for humans and dashboards, and the admin "sync now" action (token checked first, by
// the guard; no body is read). GET /apps is served from a rendering rebuilt only when the controller's
// status version, revision or leadership moved.
import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { AppStatus } from '../core/status.js';
import type { ControllerApi } from '../controller/types.js';
import type { Logger } from '../core/logger.js';
import { AdminTokenGuard } from './admin.guard.js';
import type { HttpResponse } from './http-types.js';
import { CachedRendering } from './rendering.js';
import { CONTROLLER, LOGGER } from './tokens.js';

export interface AppsList {
  revision: string | null;
  leader: ReturnType<ControllerApi['leader']>;
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
    return { revision: this.controller.revision() ?? null, leader: this.controller.leader(), apps: this.controller.listApps() };
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
}
