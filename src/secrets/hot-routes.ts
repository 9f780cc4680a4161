import type { DirectRoute } from '../common/http/direct-routes';
import type { AuthContext } from '../auth/auth-context';
import type { ClientInfo } from '../geo/client.decorator';
import { ClientInfoPipe } from '../geo/client-info.pipe';
import { CreateSecretDto } from './dto/create-secret.dto';
import { JsonUnlessMultipart } from './files/create-secret-body';
import { RevealDto } from './dto/reveal.dto';
import { LinksController } from './links.controller';
import { SecretsController } from './secrets.controller';
import { keyHeaderOf } from './idempotency/idempotency-key';

/**
 * Create and reveal, answered ahead of Fastify (common/http/direct-routes) by the controllers' own
 * actions. A multipart create (a file secret) is not JSON, so it always takes Nest's way.
 */
export function hotRoutes(secrets: SecretsController, links: LinksController): DirectRoute[] {
  return [
    {
      controller: SecretsController,
      action: 'create',
      body: CreateSecretDto,
      // @Auth(), @CreateSecretBody(), @Client(), @IdempotencyKey(), @Res()
      params: [[], [JsonUnlessMultipart], [ClientInfoPipe], [], []],
      answer: (request, body, client, reply) =>
        secrets.create(request.user as AuthContext, body as CreateSecretDto, client as ClientInfo, keyHeaderOf(request.raw), reply),
    },
    {
      controller: LinksController,
      action: 'reveal',
      body: RevealDto,
      // @Param('token'), @Body(), @Client()
      params: [[], [], [ClientInfoPipe]],
      answer: (request, body, client) => links.reveal(request.params.token, body as RevealDto, client as ClientInfo),
    },
  ];
}
