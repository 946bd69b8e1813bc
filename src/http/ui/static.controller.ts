// Serves the web UI: `/` is the app list (a single page; the rest is client-side routes under `#/`),
// `/ui/<file>` and `/ui/vendor/<file>` its scripts and styles, from memory (assets.ts), gzip when the
// browser accepts it, revalidated by ETag. A strict Content-Security-Policy: scripts and styles from
// this origin only, no inline script, no framing.
import { Controller, Get, Header, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { loadAssets } from './assets.js';

export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

@Controller()
export class UiStaticController {
  @Get()
  index(@Req() req: HttpRequest, @Res() res: HttpResponse): void {
    send('index.html', req, res);
  }

  @Get('ui/vendor/:file')
  vendor(@Param('file') file: string, @Req() req: HttpRequest, @Res() res: HttpResponse): void {
    send(`vendor/${file}`, req, res);
  }

  @Get('ui/:file')
  @Header('X-Content-Type-Options', 'nosniff')
  file(@Param('file') file: string, @Req() req: HttpRequest, @Res() res: HttpResponse): void {
    if (file === 'index.html') throw new NotFoundException('the UI is at /');
    send(file, req, res);
  }
}

function send(key: string, req: HttpRequest, res: HttpResponse): void {
  const a = loadAssets().get(key);
  if (!a) throw new NotFoundException(`no UI file ${key}`);
  res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', a.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === a.etag) {
    res.status(304).send('');
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  res.setHeader('Content-Type', a.type);
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.status(200).send(gzip ? a.gzip : a.body);
}
