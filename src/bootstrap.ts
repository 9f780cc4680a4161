import { Logger as NestLogger, PipeTransform, RequestMethod } from '@nestjs/common';
import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { ApiError } from './common/errors/api-error';
import { renderError } from './common/errors/all-exceptions.filter';
import { API_PREFIX, isApiPath, isApiRequest } from './common/http/api-paths';
import { BodyBudget } from './common/http/body-budget';
import { limitBodiesPerRoute, limitUnreadBodies } from './common/http/body-limit';
import { timeOutStalledBodies } from './common/http/body-timeout';
import { ErrorResponse } from './common/http/api-responses';
import { DirectRoutes } from './common/http/direct-routes';
import { JsonParser, parseJsonBody } from './common/http/json-body';
import { wantsRawBodyOnly } from './common/http/raw-body-only';
import { refuseUnreadMultipart } from './common/http/multipart';
import { refuseEncodedBodies } from './common/http/content-encoding';
import { documentConventions, operationIdOf } from './common/http/openapi-conventions';
import { clientAddress, clientIp, proxyTrust, ProxyTrust } from './common/http/proxy-trust';
import { addressKey } from './geo/address-key';
import { requestId } from './common/http/request-id';
import { answerUnparsable, refuseUnknownExpectations } from './common/http/unparsable-request';
import { API_SECURITY_HEADERS, pageSecurityHeaders } from './common/http/security-headers';
import { createLogger, logRequest, logRequests, PinoLoggerService, unroutedPath } from './common/logging/logger';
import { createValidationPipe } from './common/validation/validation.pipe';
import { documentWebhookSignatures } from './webhooks/webhook-callbacks';
import { RateLimiter } from './rate-limit/rate-limiter';
import { ApiAuthGuard } from './auth/auth.guard';
import { ClientInfoPipe } from './geo/client-info.pipe';
import { CountryLookup, IPV6_PROBE } from './geo/country-lookup';
import { ShutdownNotice } from './health/shutdown-notice';
import { MULTIPART_LIMITS } from './secrets/files/file-upload';
import { hotRoutes } from './secrets/hot-routes';
import { LinksController } from './secrets/links.controller';
import { SecretsController } from './secrets/secrets.controller';
import { isSecureOrigin } from './share/share-page';
import { SharePageController } from './share/share-page.controller';
import type { ResolvedConfig } from './config/app-config';

/** Requests Fastify refused for their route's body limit (body-limit) before their body had all arrived. */
const OVER_BODY_LIMIT = new WeakSet<FastifyRequest>();

/** Builds the app exactly as production runs it; main.ts and the tests both come through here. */
export async function createApp(config: ResolvedConfig): Promise<NestFastifyApplication> {
  const { logger, flush } = createLogger(config.logLevel);
  const trust = proxyTrust(config.trustProxy);
  const bodyBudget = new BodyBudget({
    limit: config.bodyMemoryLimitBytes,
    largestBody: config.bodyLimitBytes,
    clientOf: (raw) => addressKey(clientIp({ ip: clientAddress(raw, trust), socket: raw.socket })),
    logger,
  });
  const direct = new DirectRoutes({
    prefix: API_PREFIX,
    bodyLimit: config.bodyLimitBytes,
    bodyBudget,
    maxParamLength: MAX_PARAM_LENGTH,
    trust,
    headers: API_SECURITY_HEADERS,
    logger,
  });
  const pageHeaders = pageSecurityHeaders();
  // Fastify needs the handler before the app, and so the rate limiter, exists.
  let settleUnroutable: Settle = async () => {};
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: trust,
    genReqId: requestId,
    // Its own 503 has none of the contract's shape nor headers: bootstrap() answers those requests.
    return503OnClosing: false,
    serverFactory: direct.serverFactory(),
    frameworkErrors: answerUnroutable(pageHeaders, logger, trust, (request, reply) => settleUnroutable(request, reply)),
    clientErrorHandler: answerUnparsable(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoLoggerService(logger),
    // A failed start reaches main.ts, which says why in one line, rather than ending in process.abort().
    abortOnError: false,
    // Stripe signs the exact bytes it sent.
    rawBody: true,
    // Nest's defaults would also take form-encoded bodies; the API reads JSON (and multipart where a route says so).
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  limitBodiesPerRoute(fastify, config.bodyLimitBytes);
  const fastifyJson = fastify.getDefaultJsonParser(fastify.initialConfig.onProtoPoisoning!, fastify.initialConfig.onConstructorPoisoning!);
  // Typed as a parser that may be async; this one answers `done` at once.
  const jsonParser: JsonParser<FastifyRequest> = (request, text, done) => void fastifyJson(request, text, done);
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: config.bodyLimitBytes }, (request, body, done) => {
    // A path no route takes is a 404 whatever its body: Fastify parses it before the not-found handler runs.
    if (request.is404 || wantsRawBodyOnly(request)) return done(null, undefined);
    parseJsonBody(request, request.headers['content-type'], body, jsonParser, done);
  });
  // File secrets arrive as multipart/form-data; FileSecretsService streams each part and sets the file's limit per plan.
  await app.register(fastifyMultipart, { limits: MULTIPART_LIMITS });
  refuseUnreadMultipart(fastify);
  refuseEncodedBodies(fastify);
  bodyBudget.countChunkedBodies(fastify);
  timeOutStalledBodies(app.getHttpServer(), config.bodyIdleTimeoutMs, logger);
  refuseUnknownExpectations(app.getHttpServer(), logger);
  const validation = createValidationPipe();
  bootstrap(app, { logger, flush, validation, direct, pageHeaders });
  limitUnreadBodies(fastify, config.bodyLimitBytes);
  // A link pasted with a slash after its token gets the page too (Nest takes `s/:token/` for `s/:token`).
  const sharePage = app.get(SharePageController);
  fastify.get('/s/:token/', (_request, reply) => sharePage.show(reply));
  const guard = app.get(ApiAuthGuard);
  settleUnroutable = (request, reply) => guard.settle(request, reply);
  const clientInfo = app.get(ClientInfoPipe);
  const shutdown = app.get(ShutdownNotice);
  direct.bind(hotRoutes(app.get(SecretsController), app.get(LinksController)), {
    guard,
    validation,
    client: (request) => clientInfo.transform(request),
    settle: (request, reply) => guard.settle(request as never, reply as never),
    jsonParser: jsonParser as never,
    shuttingDown: () => shutdown.given,
  });
  if (config.trustProxy === true) {
    new NestLogger('Config').warn(
      'TRUST_PROXY=true believes X-Forwarded-For from any peer: a client can forge its address and country. ' +
        "Set TRUST_PROXY to your proxies' addresses or CIDRs (e.g. loopback, 10.0.0.0/8) instead.",
    );
  } else if (typeof config.trustProxy === 'number' && config.trustProxy > 0) {
    // A hop count trusts whoever is at hop 0, the peer, for its address and for GEO_COUNTRY_HEADER:
    // behind the proxy that is the proxy, but a client that reaches the port directly is a peer too.
    const country = config.geo.countryHeader ? ` and its country (GEO_COUNTRY_HEADER ${config.geo.countryHeader})` : '';
    new NestLogger('Config').warn(
      `TRUST_PROXY=${config.trustProxy} believes X-Forwarded-For from any peer: a client that reaches this port directly can forge its address${country}. ` +
        "Let only your proxy reach the port, or set TRUST_PROXY to your proxies' addresses or CIDRs instead.",
    );
  }
  if (!isSecureOrigin(config.publicUrl)) {
    new NestLogger('Config').warn(
      'PUBLIC_URL is plain http on a host other than localhost: browsers give the share page no WebCrypto there, ' +
        'so encrypted secrets and client files cannot be opened from its links. Serve PUBLIC_URL over https.',
    );
  }
  if (config.geo.countryHeader && !trust) {
    new NestLogger('Config').warn(
      'GEO_COUNTRY_HEADER is read only from a proxy TRUST_PROXY trusts, and TRUST_PROXY trusts none: ' +
        "countries come from the peer's address (your proxy's). Set TRUST_PROXY to your proxies.",
    );
  } else if (config.geo.countryHeader) {
    // A proxy passes on the headers a client sent unless told otherwise: a client reaching it
    // without the CDN would name its own country.
    new NestLogger('Config').warn(
      `GEO_COUNTRY_HEADER ${config.geo.countryHeader} is believed over the address from any proxy TRUST_PROXY trusts: ` +
        'those proxies must set it or strip it on every request (passing on what the client sent is not enough), ' +
        'or a client can choose its own country.',
    );
  }
  if (config.webhooks.allowPrivate) {
    new NestLogger('Config').warn(
      'WEBHOOK_ALLOW_PRIVATE=true lets webhook URLs be plain http and reach loopback and private addresses ' +
        '(link-local and metadata ones stay refused): any team admin can make this server call into its network. ' +
        'It is for development and tests, and refused in production.',
    );
  }
  if (!app.get(CountryLookup).placesIpv6) {
    new NestLogger('Config').warn(
      `GEOIP_DATABASE ${config.geo.database} has no country for ${IPV6_PROBE}: it places no IPv6 address, so a viewer on IPv6 ` +
        'of a secret with allowed_countries is refused. Use a database of IPv4 and IPv6 addresses (the bundled one is).',
    );
  }
  return app;
}

/** Fastify's default, named because the direct routes must hold to it too. */
const MAX_PARAM_LENGTH = 100;

interface Plumbing {
  logger: Logger;
  flush: () => void;
  validation: PipeTransform;
  direct: DirectRoutes;
  pageHeaders: Record<string, string>;
}

type Settle = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Fastify answers a URL it cannot route (an escape that does not decode, a parameter longer than
 * MAX_PARAM_LENGTH) ahead of every hook, in a shape of its own that repeats the path; here it
 * gets the contract's error body and the headers of every other answer, X-RateLimit-* included
 * (it spends a budget as an unknown path does: the valid token's it carries, else the address's).
 */
function answerUnroutable(pageHeaders: Record<string, string>, logger: Logger, trust: ProxyTrust | false, settle: Settle) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const started = performance.now();
    // Fastify makes this request without its trustProxy, so its `ip` would be the peer's (the
    // proxy's, shared by every client behind it): the address is the one a routed request gets.
    Object.defineProperty(request, 'ip', { value: clientAddress(request.raw, trust) });
    const rendered = renderError(error, request.id);
    // No route matched, so the path as sent is all there is to go by.
    const headers = isApiPath(request.url) ? API_SECURITY_HEADERS : pageHeaders;
    reply.raw.once('close', () =>
      logRequest(logger, {
        id: request.id,
        method: request.method,
        path: unroutedPath(request.url),
        status: rendered.status,
        ms: performance.now() - started,
      }),
    );
    const answer = () =>
      reply
        .status(rendered.status)
        .headers({ ...headers, ...rendered.headers, 'x-request-id': request.id })
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(rendered.body));
    // The answer is decided: a budget that cannot be reached only leaves its headers off.
    settle(request, reply).then(answer, answer);
  };
}

function bootstrap(app: NestFastifyApplication, { logger, flush, validation, direct, pageHeaders }: Plumbing): void {
  const fastify = app.getHttpAdapter().getInstance();
  logRequests(fastify, logger);
  // Flushed as the app closes, so the last lines reach stdout before the process exits.
  fastify.addHook('onClose', (_instance, done) => {
    flush();
    done();
  });
  // While shutting down, answers close their connection, so a keep-alive client cannot hold the
  // server open after its last response, nor send on a connection the close is about to reset.
  const shutdown = app.get(ShutdownNotice);
  let closing = false;
  fastify.addHook('preClose', (done) => {
    shutdown.given = true;
    closing = true;
    direct.close();
    done();
  });
  const limiter = app.get(RateLimiter);
  const guard = app.get(ApiAuthGuard);
  // Fastify closes the connection on a body it refused for its route's limit, resetting it under a
  // client still sending, which may then never read the 413. Kept open, Node reads and drops the
  // rest, for as long as body-timeout's lingering limit allows, as after a plan's 413 to an upload's declared length.
  fastify.addHook('onError', (request, _reply, error, done) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && !request.raw.complete) OVER_BODY_LIMIT.add(request);
    done();
  });
  // Synchronous unless there is a budget to settle: on the routed majority this hook costs no promise.
  fastify.addHook('onSend', (request, reply, _payload, done) => {
    if (shutdown.given) reply.header('connection', 'close');
    else if (OVER_BODY_LIMIT.has(request)) reply.removeHeader('connection');
    if (!limiter.unsettled(request)) return done();
    guard.settle(request, reply).then(() => done(), done);
  });
  // JSON, and multipart where a route takes it; anything else is a 415.
  fastify.removeContentTypeParser(['text/plain']);
  // The API's own set on its answers, helmet's on the pages (docs, share page, health checks).
  // A request that arrives once the server is closing (on a connection busy as the close began:
  // idle ones are closed) is refused, as Fastify would, but as every other 503 is answered.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(isApiRequest(request) ? API_SECURITY_HEADERS : pageHeaders).header('x-request-id', request.id);
    if (!closing) return done();
    const rendered = renderError(ApiError.unavailable('This server is shutting down; retry and another will answer.'), request.id);
    reply.status(rendered.status).headers(rendered.headers).type('application/json; charset=utf-8').send(JSON.stringify(rendered.body));
  });

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'healthz', method: RequestMethod.GET },
      { path: 'readyz', method: RequestMethod.GET },
      { path: 's/:token', method: RequestMethod.GET },
      { path: 'favicon.ico', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(validation);

  const document = documentConventions(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Oncelink API')
        .setDescription('Self-destructing secrets for teams and their automation.')
        .setVersion('1')
        .addBearerAuth({
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'olk_live_… / olk_test_…',
          description: 'A personal access token (olk_live_… / olk_test_…), not a JWT',
        })
        .addTag('auth', 'Registering, tokens, and the caller’s account')
        .addTag('secrets', 'The team’s secrets and their webhook deliveries')
        .addTag('links', 'What a link’s holder may do, without a token')
        .addTag('teams', 'Teams, members, service accounts and the audit trail')
        .addTag('webhooks', 'The team’s webhook endpoints, signing secret and delivery log')
        .addTag('billing', 'The plan, and Stripe’s webhook')
        .addTag('share', 'The page a link opens, outside /api/v1')
        .addTag('health', 'Liveness and readiness, outside /api/v1')
        .build(),
      // Each route names its one tag; a controller's name is not a second one (generators would list the route twice).
      { extraModels: [ErrorResponse], autoTagControllers: false, operationIdFactory: operationIdOf },
    ),
  );
  SwaggerModule.setup('api/docs', app, documentWebhookSignatures(document), { jsonDocumentUrl: 'api/openapi.json' });
}
