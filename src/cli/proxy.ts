import http from 'node:http';
import https from 'node:https';
import { Duplex } from 'node:stream';
import { ProxyAgent } from 'proxy-agent';
import { Agent, Dispatcher, EnvHttpProxyAgent, Pool, ProxyAgent as UndiciProxyAgent, setGlobalDispatcher } from 'undici';
import { isLoopbackHost } from '../client/oncelink-client';
import { ProxyFailed } from '../client/proxy-failed';
import { UsageError } from './usage-error';

/**
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case spellings), which Node 20 ignores, for
 * every request: fetch's, and an upload's through node:http(s). This machine is always reached
 * directly, whatever NO_PROXY says: plain http is allowed to it alone, and a CI runner's proxy
 * would otherwise see the token and the secret in the clear. A failure at the proxy is thrown as
 * a ProxyFailed, which names the proxy. The SDK leaves its caller's proxies to it.
 */
export function proxyFromEnvironment(): void {
  const direct = new Agent(NO_TIMEOUTS);
  const skippingLoopback: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
    isLoopbackHost(new URL(String(options.origin)).hostname) ? direct.dispatch(options, handler) : dispatch(options, handler);
  const proxies = { httpProxy: proxyUrl('http'), httpsProxy: proxyUrl('https') };
  setGlobalDispatcher(
    new EnvHttpProxyAgent({ ...proxies, ...NO_TIMEOUTS, clientFactory: tunnelsNamingFailures }).compose(skippingLoopback),
  );
  // Only when a proxy is named: proxy-agent's sockets come a tick late, and a refusal the server
  // sends before reading an upload's body was then lost to the write's EPIPE.
  const named = ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy'].some((name) => process.env[name]);
  if (!named) return;
  const agent = new UploadProxying();
  http.globalAgent = agent;
  https.globalAgent = agent;
}

/**
 * undici's own waits for an answer's headers and body (300 s each) turned off: ONCELINK_TIMEOUT
 * (the client's Patience) covers both, and may be longer.
 */
const NO_TIMEOUTS = { headersTimeout: 0, bodyTimeout: 0 };

/**
 * The proxy for a scheme's requests, read as undici reads it (the lower-case spelling first; empty
 * is none), and refused as bad usage, by the variable's name alone, when undici cannot take it:
 * its error, uncaught, printed the URL, password and all (`http://ci:pa#ss@proxy:3128`).
 */
function proxyUrl(scheme: 'http' | 'https'): string {
  const name = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`].find((variable) => process.env[variable] !== undefined);
  const value = name ? process.env[name]! : '';
  if (!value) return '';
  try {
    void new UndiciProxyAgent({ uri: value, clientFactory: tunnelsNamingFailures }).close();
  } catch {
    throw new UsageError(
      `${name} is not a proxy URL (http://[user:password@]host:port, with :/?#@ in the user or password percent-encoded)`,
    );
  }
  return value;
}

/** A proxy as a message names it: its origin, never its URL's credentials. */
const nameOf = (proxy: URL) => `${proxy.protocol}//${proxy.host}`;

/**
 * undici's connection to a proxy, whose tunnels (CONNECT) fail as a ProxyFailed. undici keeps a
 * request and connects again at once after a socket's error (UND_ERR_SOCKET): a proxy that closed
 * every tunnel was asked again in a tight loop, thousands of times a second, until the timeout.
 * Any other error ends the request, tried again then only as ONCELINK_RETRIES says.
 */
function tunnelsNamingFailures(origin: URL, options: object): Dispatcher {
  const pool = new Pool(origin, { ...options, ...NO_TIMEOUTS });
  const connect: (options: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData> = pool.connect.bind(pool);
  const proxy = nameOf(origin);
  return Object.assign(pool, {
    connect: async (options: Dispatcher.ConnectOptions) => {
      const tunnel = await connect(options).catch((error: unknown) => {
        throw new ProxyFailed(proxy, undefined, error);
      });
      if (tunnel.statusCode === 200) return tunnel;
      tunnel.socket.destroy();
      throw new ProxyFailed(proxy, tunnel.statusCode);
    },
  });
}

/** What proxy-agent hands a proxied request to: an agent of http(s)-proxy-agent. */
interface ProxyingAgent {
  readonly proxy: URL;
  connect(req: http.ClientRequest, options: unknown): Promise<Duplex>;
}

/**
 * proxy-agent, for uploads, this machine reached directly. The tunnel is made here, by the agent
 * proxy-agent picks, rather than handed to it: a tunnel's refusal would otherwise reach the upload
 * as the server's answer (https-proxy-agent replays it on the request), and a proxy that cannot
 * be reached as the server's failure. Both are thrown as a ProxyFailed.
 */
class UploadProxying extends ProxyAgent {
  constructor() {
    super();
    const fromEnvironment = this.getProxyForUrl;
    this.getProxyForUrl = (url, req) => (isLoopbackHost(new URL(url).hostname) ? '' : fromEnvironment(url, req));
  }

  override async connect(req: http.ClientRequest, options: Parameters<ProxyAgent['connect']>[1]): Promise<http.Agent> {
    const agent = await super.connect(req, options);
    const proxying = agent as unknown as Partial<ProxyingAgent>;
    // A direct agent, or a SOCKS or PAC one (whose `proxy`, if any, is not a URL): handed on as proxy-agent does.
    if (agent === this.httpAgent || agent === this.httpsAgent || !(proxying.proxy instanceof URL)) return agent;
    const proxy = nameOf(proxying.proxy);
    let status = 200;
    req.once('proxyConnect', ({ statusCode }: { statusCode: number }) => (status = statusCode));
    const socket = await (proxying as ProxyingAgent).connect(req, options).catch((error: unknown) => {
      throw new ProxyFailed(proxy, undefined, error);
    });
    // agent-base takes the socket itself as well as an agent; proxy-agent's types say an agent only.
    if (status === 200) return socket as unknown as http.Agent;
    socket.destroy();
    throw new ProxyFailed(proxy, status);
  }
}
