import type { CanActivate, PipeTransform, Type } from '@nestjs/common';
import { Logger as NestLogger, RequestMethod, StreamableFile } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyServerFactory } from 'fastify';
import { createServer, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerOptions, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { ApiError, CLIENT_GONE_STATUS } from '../errors/api-error';
import { renderError } from '../errors/all-exceptions.filter';
import type { BodyBudget } from './body-budget';
import { bodyLimitOf } from './body-limit';
import { hasEncodedBody } from './content-encoding';
import { aboutRequest, logRequest } from '../logging/logger';
import { JsonParser, parseJsonBody } from './json-body';
import { clientAddress, ProxyTrust } from './proxy-trust';
import { requestId } from './request-id';
import { refusedWithoutHost } from './unparsable-request';

/**
 * What the guard, the pipes and the rate limiter read of a request answered ahead of Fastify:
 * the same names as on FastifyRequest, so the same code serves both.
 */
class DirectRequest {
  body: unknown;
  user?: unknown;
  readonly routeOptions: { url: string };

  constructor(
    readonly raw: IncomingMessage,
    readonly id: string,
    readonly ip: string,
    route: string,
    readonly params: Record<string, string>,
  ) {
    this.routeOptions = { url: route };
  }

  get method(): string {
    return this.raw.method!;
  }

  get url(): string {
    return this.raw.url!;
  }

  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  get socket(): IncomingMessage['socket'] {
    return this.raw.socket;
  }
}

/** What an action may set a header on: FastifyReply, or a direct route's DirectReply. */
export interface HeaderSink {
  header(name: string, value: string | number): unknown;
}

/** Collects the headers the guard, the rate limiter and the action set, as FastifyReply.header would. */
class DirectReply implements HeaderSink {
  readonly headers: Record<string, string | number> = {};

  /** The response, as a Fastify reply's `raw` (the disk guard reads its status when it closes). */
  constructor(readonly raw: ServerResponse) {}

  header(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
}

/** A Nest controller action answered ahead of Fastify; its path, verb and status stay the controller's. */
export interface DirectRoute {
  controller: Type;
  action: string;
  /** The DTO the global pipe validates the JSON body as. */
  body: Type;
  /**
   * The action's parameters in order, each as the pipes Nest runs on it (none for a plain one):
   * what `answer` and `body` stand for. An action whose parameters differ is refused at start-up.
   */
  params: Type<PipeTransform>[][];
  answer: (request: DirectRequest, body: unknown, client: unknown, reply: DirectReply) => Promise<unknown>;
}

/** The app's own pieces the direct routes run, the same instances Nest runs on every other route. */
export interface DirectRouteServices {
  guard: CanActivate;
  validation: PipeTransform;
  client: (request: DirectRequest) => unknown;
  /** Spends the rate-limit budget of a request the guard never saw (a body that does not parse). */
  settle: (request: DirectRequest, reply: DirectReply) => Promise<void>;
  /** Fastify's own JSON parser (prototype poisoning refused), so a body fails here as it would there. */
  jsonParser: JsonParser;
  /** Whether the instance is shutting down (SHUTDOWN_DELAY_MS), so answers close their connection. */
  shuttingDown: () => boolean;
}

export interface DirectRouteOptions {
  prefix: string;
  /** BODY_LIMIT_BYTES, which only a LargeBody route takes (body-limit). */
  bodyLimit: number;
  /** What the bodies still arriving hold together, charged here ahead of the direct routes and of Fastify alike. */
  bodyBudget: BodyBudget;
  /** Fastify's `maxParamLength`: a longer parameter is left to Fastify, which answers 414. */
  maxParamLength: number;
  trust: ProxyTrust | false;
  /** Every API response's headers (security headers, Cache-Control). */
  headers: Record<string, string>;
  logger: Logger;
}

interface Compiled extends DirectRoute {
  pattern: RegExp;
  names: string[];
  /** The route pattern, as Fastify would have it for logs and rate limits. */
  route: string;
  /** The same pattern with the link token redacted, for logs. */
  logged: string;
  status: number;
  /** The route's own limit (body-limit), as Fastify has it. */
  bodyLimit: number;
  handler: (...args: unknown[]) => unknown;
}

const JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
const DIGITS = /^\d{1,12}$/;
/** What Nest would run around an action that a direct route does not: an action carrying any of these stays Nest's. */
const ENHANCERS = {
  [GUARDS_METADATA]: '@UseGuards',
  [INTERCEPTORS_METADATA]: '@UseInterceptors',
  [PIPES_METADATA]: '@UsePipes',
  [EXCEPTION_FILTERS_METADATA]: '@UseFilters',
};
const RESPONSE_SHAPERS = {
  [HEADERS_METADATA]: '@Header',
  [REDIRECT_METADATA]: '@Redirect',
  [RENDER_METADATA]: '@Render',
  [SSE_METADATA]: '@Sse',
};

/**
 * The two hot routes (create, reveal) answered straight from node:http, ahead of Fastify's
 * lifecycle, which costs them a third of their throughput; everything else, and any request
 * these routes do not plainly take (another content type, no Content-Length, a query string,
 * an encoded path), goes to Fastify untouched, before a byte of its body is read. A direct
 * route runs what Nest would: the global guard (authentication, abilities, rate limits), the
 * global validation pipe, the client's address and country, then the controller action, and
 * answers with the same headers, error bodies and access log line.
 */
export class DirectRoutes {
  private readonly logger = new NestLogger(DirectRoutes.name);
  private readonly routes: Compiled[] = [];
  private services?: DirectRouteServices;
  private open = true;

  constructor(private readonly options: DirectRouteOptions) {}

  /** Once, when the app's services exist; until then Fastify answers everything. */
  bind(routes: DirectRoute[], services: DirectRouteServices): void {
    if (this.services) throw new Error('direct routes are already bound');
    this.routes.push(...routes.map((route) => this.compile(route)));
    this.services = services;
  }

  /** Once the app starts closing, Fastify answers everything (503, Connection: close). */
  close(): void {
    this.open = false;
  }

  /** Fastify's HTTP/1 server, as it would make it, with this in front of its handler. */
  serverFactory(): FastifyServerFactory {
    return (handler, options) => {
      const settings = options as {
        http?: ServerOptions;
        keepAliveTimeout: number;
        requestTimeout: number;
        connectionTimeout: number;
        maxRequestsPerSocket: number;
      };
      const server = createServer({ ...settings.http, requireHostHeader: false }, (raw, res) => {
        if (refusedWithoutHost(raw, res, this.options.logger) || !this.options.bodyBudget.admit(raw, res)) return;
        if (!this.take(raw, res)) handler(raw, res);
      });
      server.keepAliveTimeout = settings.keepAliveTimeout;
      server.requestTimeout = settings.requestTimeout;
      server.setTimeout(settings.connectionTimeout);
      if (settings.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
      return server;
    };
  }

  /** False leaves the request to Fastify. */
  private take(raw: IncomingMessage, res: ServerResponse): boolean {
    if (!this.open || raw.method !== 'POST' || !this.services) return false;
    const length = raw.headers['content-length'];
    if (!length || !DIGITS.test(length) || raw.headers['transfer-encoding']) return false;
    if (!JSON_TYPE.test(raw.headers['content-type'] ?? '') || hasEncodedBody(raw.headers)) return false;
    for (const route of this.routes) {
      const match = route.pattern.exec(raw.url!);
      if (!match) continue;
      // Fastify answers the 413, by the same limit, before a byte is read.
      if (Number(length) > route.bodyLimit) return false;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1]]));
      this.serve(route, this.services, raw, res, params).catch((error: unknown) => this.fail(res, error, requestId(raw)));
      return true;
    }
    return false;
  }

  private compile(route: DirectRoute): Compiled {
    const handler = (route.controller.prototype as Record<string, (...args: unknown[]) => unknown>)[route.action];
    this.refuseUnrun(route, handler);
    const segments = [
      this.options.prefix,
      Reflect.getMetadata(PATH_METADATA, route.controller),
      Reflect.getMetadata(PATH_METADATA, handler),
    ]
      .map((part: string) => part.replace(/^\/+|\/+$/g, ''))
      .filter(Boolean);
    const path = `/${segments.join('/')}`;
    const names: string[] = [];
    // Parameters are plain segments; one that needs decoding is left to Fastify's router.
    const source = path
      .split(/(:\w+)/)
      .map((part) =>
        part.startsWith(':') ? (names.push(part.slice(1)), `([^/?#%]{1,${this.options.maxParamLength}})`) : escapeRegExp(part),
      )
      .join('');
    return {
      ...route,
      pattern: new RegExp(`^${source}$`),
      names,
      route: path,
      logged: path.replace(':token', '[redacted]'),
      status: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? 201,
      bodyLimit: bodyLimitOf(handler, this.options.bodyLimit),
      handler,
    };
  }

  /** What the direct path would silently skip is refused at start-up instead. */
  private refuseUnrun(route: DirectRoute, handler: object): void {
    const name = `${route.controller.name}.${route.action}`;
    if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) throw new Error(`${name} is not a POST route`);
    const unrun = [
      ...Object.entries(ENHANCERS).filter(([key]) => Reflect.getMetadata(key, route.controller) || Reflect.getMetadata(key, handler)),
      ...Object.entries(RESPONSE_SHAPERS).filter(([key]) => Reflect.getMetadata(key, handler) !== undefined),
    ].map(([, decorator]) => decorator);
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.action) ?? {}) as Record<
      string,
      { index: number; pipes?: unknown[] }
    >;
    const declared = Object.values(args);
    if (declared.length !== route.params.length || (handler as (...args: unknown[]) => unknown).length !== route.params.length) {
      unrun.push(`${declared.length} decorated parameters where the route supplies ${route.params.length}`);
    }
    for (const { index, pipes = [] } of declared) {
      const expected = route.params[index] ?? [];
      const differ = pipes.length !== expected.length || pipes.some((pipe, i) => pipe !== expected[i]);
      if (differ) unrun.push(`parameter ${index} with pipes [${pipes.map(pipeName).join(', ')}]`);
    }
    if (unrun.length) throw new Error(`${name} cannot be answered ahead of Fastify: it has ${unrun.join(', ')}`);
  }

  /** A failure after the answer was made (it would not serialise, say): a 500 if nothing was sent yet, else the connection is cut. */
  private fail(res: ServerResponse, error: unknown, id: string): void {
    const { body } = renderError(error, id);
    if (res.headersSent) return void res.destroy();
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    this.sendJson(res, 500, { ...this.options.headers, 'x-request-id': id, connection: 'close' }, body);
  }

  private async serve(
    route: Compiled,
    services: DirectRouteServices,
    raw: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string>,
  ) {
    const started = performance.now();
    const request = new DirectRequest(raw, requestId(raw), clientAddress(raw, this.options.trust), route.route, params);
    const reply = new DirectReply(res);
    // Listened for before anything is awaited, so a client that leaves mid-answer gets its line too;
    // 'close' rather than 'finish', so a download cut midway is logged as well. A request whose body
    // never arrived has its line elsewhere: body-timeout's 408, or renderError's for a hang-up.
    res.once('close', () => {
      if (!raw.complete) return;
      const status = res.headersSent ? res.statusCode : CLIENT_GONE_STATUS;
      logRequest(this.options.logger, { id: request.id, method: 'POST', path: route.logged, status, ms: performance.now() - started });
    });
    let status = route.status;
    let payload: unknown;
    // As Fastify does after a body it could not parse: the client may still be sending.
    let unreadable = false;
    try {
      request.body = await this.readJson(raw, services.jsonParser).catch((error: unknown) => {
        unreadable = true;
        throw error;
      });
      const context = new ExecutionContextHost([request, reply], route.controller, route.handler);
      context.setType('http');
      // As Nest does with a guard that answers false.
      if (!(await services.guard.canActivate(context))) throw ApiError.forbidden();
      const body: unknown = await services.validation.transform(request.body, { type: 'body', metatype: route.body });
      payload = await route.answer(request, body, services.client(request), reply);
    } catch (error) {
      const rendered = renderError(error, request.id);
      // The client hung up (a 499 in the log), or its body stalled and was answered 408 (body-timeout): nothing is left to answer.
      if (raw.socket.destroyed || res.headersSent) return;
      // The failure is answered whatever happens here; a budget left unspent is worth a line, not a 500.
      await services
        .settle(request, reply)
        .catch((error: Error) =>
          this.logger.warn(aboutRequest(request.id, `Request ${request.id} left its budget unspent: ${error.message}`)),
        );
      status = rendered.status;
      for (const [name, value] of Object.entries(rendered.headers)) reply.header(name, value);
      payload = rendered.body;
    }
    const headers: OutgoingHttpHeaders = { ...this.options.headers, 'x-request-id': request.id, ...reply.headers };
    // While the app shuts down, keep-alive clients are told to go, as Fastify's answers tell them.
    if (!this.open || services.shuttingDown() || unreadable) headers.connection = 'close';
    try {
      if (payload instanceof StreamableFile) await this.stream(res, status, headers, payload, request.id);
      else this.sendJson(res, status, headers, payload);
    } catch (error) {
      this.fail(res, error, request.id);
    }
  }

  private sendJson(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, payload: unknown): void {
    const json = JSON.stringify(payload);
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }

  private async readJson(raw: IncomingMessage, parse: JsonParser): Promise<unknown> {
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      raw.on('data', (chunk: Buffer) => chunks.push(chunk));
      raw.on('error', reject);
      raw.on('end', () => resolve(Buffer.concat(chunks)));
    });
    return new Promise((resolve, reject) =>
      parseJsonBody(raw, raw.headers['content-type'], bytes, parse, (error, body) => (error ? reject(error) : resolve(body))),
    );
  }

  /**
   * A file's bytes, with the headers Nest's adapter gives a StreamableFile. The headers go out
   * with the first byte, so a stream that fails before it still gets the error's answer; one
   * that fails midway cuts the connection.
   */
  private async stream(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, file: StreamableFile, id: string): Promise<void> {
    const { type, disposition, length } = file.getHeaders();
    if (type !== undefined) headers['content-type'] = type;
    if (disposition !== undefined) headers['content-disposition'] = disposition as string;
    if (length !== undefined) headers['content-length'] = length;
    res.statusCode = status;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value!);
    try {
      await pipeline(file.getStream(), res);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      const rendered = renderError(error, id);
      res.removeHeader('content-disposition');
      this.sendJson(res, rendered.status, rendered.headers, rendered.body);
    }
  }
}

const pipeName = (pipe: unknown) => (typeof pipe === 'function' ? pipe.name : (pipe as object).constructor.name);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
