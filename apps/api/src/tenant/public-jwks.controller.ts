import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ManagedKeysService } from '#registration';
import { UuidParam } from '../http/uuid-param.js';

/**
 * Public key sets of broker-managed `private_key_jwt` apps: the `jwks_uri` registered at every
 * site. Unauthenticated on purpose (authorization servers fetch it); public keys only.
 */
@ApiTags('public')
@Controller('v1/public/apps')
export class PublicJwksController {
  constructor(private readonly managedKeys: ManagedKeysService) {}

  @Get(':appId/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(@UuidParam('appId', 'app') appId: string) {
    return this.managedKeys.jwks(appId);
  }
}
