import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PolicySpec, PolicySpecSchema, parseOrThrow } from '@assay/contracts';
import { Public } from '@assay/platform';
import { jobsPage, loginPage, policiesPage, reportsPage, requestsPage } from './console-pages';
import { ConsoleService, SESSION_COOKIE } from './console.service';

/**
 * The web console at /console: policies, recent assured requests, jobs with live progress, reports. Not part of the
 * API (no OpenAPI entry); behind the API key through a login that sets a session cookie (ConsoleService).
 */
@Public()
@Controller('console')
export class ConsoleController {
  constructor(private readonly console: ConsoleService) {}

  /** Renders `html()` for a logged-in session, the login page (401) otherwise. */
  private async serve(req: Request, res: Response, html: () => Promise<string> | string) {
    if (!this.console.authenticated(req.headers.cookie)) return void res.status(401).type('html').send(loginPage());
    res.type('html').send(await html());
  }

  @Get()
  home(@Req() req: Request, @Res() res: Response) {
    if (!this.console.authenticated(req.headers.cookie)) return void res.type('html').send(loginPage());
    res.redirect(302, '/console/policies');
  }

  @Post('login')
  login(@Body() body: { key?: unknown }, @Res() res: Response) {
    const session = this.console.login(body?.key);
    res.cookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'strict', path: '/console' }).json({ ok: true });
  }

  @Get('logout')
  logout(@Res() res: Response) {
    res.clearCookie(SESSION_COOKIE, { path: '/console' }).redirect(302, '/console');
  }

  @Get('policies')
  policies(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async () => policiesPage(await this.console.policyList()));
  }

  @Post('policies')
  async createPolicy(@Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    if (!this.console.authenticated(req.headers.cookie)) return void res.status(401).json({ code: 'UNAUTHORIZED', message: 'log in first' });
    res.status(201).json(await this.console.createPolicy(parseOrThrow(PolicySpecSchema, body, 'policy') as PolicySpec));
  }

  @Get('requests')
  requests(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, () => requestsPage(this.console.requests(), this.console.traceUrlTemplate));
  }

  @Get('jobs')
  jobs(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async () => jobsPage(await this.console.jobRows()));
  }

  @Get('api/jobs')
  async jobsJson(@Req() req: Request, @Res() res: Response) {
    if (!this.console.authenticated(req.headers.cookie)) return void res.status(401).json({ code: 'UNAUTHORIZED', message: 'log in first' });
    res.json(await this.console.jobRows());
  }

  @Get('reports')
  reports(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async () => reportsPage(await this.console.reports()));
  }

  @Get('reports/*path')
  async report(@Req() req: Request, @Param('path') path: string | string[], @Res() res: Response) {
    if (!this.console.authenticated(req.headers.cookie)) return void res.status(401).type('html').send(loginPage());
    const { stream, contentType } = await this.console.report(Array.isArray(path) ? path.join('/') : path);
    res.type(contentType);
    stream.pipe(res);
  }
}
