// Per-app status for humans and dashboards, and the admin "sync now" action.
import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import type { AppStatus } from '../core/status.js';
import type { ControllerApi } from '../controller/types.js';
import type { Logger } from '../core/logger.js';
import { AdminTokenGuard } from './admin.guard.js';
import { CONTROLLER, LOGGER } from './tokens.js';

@Controller('apps')
export class AppsController {
  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  list(): { revision: string | null; leader: ReturnType<ControllerApi['leader']>; apps: AppStatus[] } {
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
