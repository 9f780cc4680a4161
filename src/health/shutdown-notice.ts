import { Injectable } from '@nestjs/common';

/**
 * Given on SIGTERM, SHUTDOWN_DELAY_MS before the server stops listening (main.ts), and as it
 * closes: readiness answers 503, so a load balancer stops sending here, and every answer closes
 * its connection, so none is left idle for the close to reset under a request already sent on it.
 */
@Injectable()
export class ShutdownNotice {
  given = false;
}
