import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { ManagedKeysService } from '#registration';
import { ApiAnswer, Doc } from '../http/openapi.js';
import { JwksSchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * Public key sets of broker-managed `private_key_jwt` apps: the `jwks_uri` registered at every
 * site. Unauthenticated on purpose (authorization servers fetch it); public keys only.
 */
@ApiTags('public')
@Controller('v1/public/apps')
export class PublicJwksController {
  /**
   * Sites may cache the set for at most half the publish delay of a rotated key, so every site
   * has seen a new key before it signs anything (5 minutes at most).
   */
  private readonly cacheControl: string;

  constructor(
    private readonly managedKeys: ManagedKeysService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.cacheControl = `public, max-age=${Math.min(300, Math.floor(config.signingKeys.publishSeconds / 2))}`;
  }

  @Get(':appId/jwks.json')
  @Doc(
    'An app’s public keys',
    'The JWKS of a broker-managed private_key_jwt app: the `jwks_uri` registered at every site. No credential ' +
      '(authorization servers fetch it); public keys only; cacheable for a few minutes.',
  )
  @ApiAnswer(200, 'The key set.', JwksSchema)
  jwks(@UuidParam('appId', 'app') appId: string, @Res({ passthrough: true }) response: Response) {
    response.setHeader('Cache-Control', this.cacheControl);
    return this.managedKeys.jwks(appId);
  }
}
