import { Body, Controller, Delete, Get, HttpCode, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest } from '#domain';
import { HealthSystemsService, createHealthSystemSchema, updateHealthSystemSchema } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toHealthSystemResponse } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('operator: health systems')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/health-systems')
export class HealthSystemsController {
  constructor(private readonly healthSystems: HealthSystemsService) {}

  @Post()
  @ApiZodBody(createHealthSystemSchema)
  async create(@Body() body: unknown) {
    return toHealthSystemResponse(await this.healthSystems.create(body));
  }

  @Get()
  async list(@PageQuery() page: PageRequest) {
    return toListResponse(await this.healthSystems.list(page), toHealthSystemResponse);
  }

  @Get(':id')
  async get(@UuidParam('id', 'health system') id: string) {
    return toHealthSystemResponse(await this.healthSystems.get(id));
  }

  @Patch(':id')
  @ApiZodBody(updateHealthSystemSchema)
  async update(@UuidParam('id', 'health system') id: string, @Body() body: unknown) {
    return toHealthSystemResponse(await this.healthSystems.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@UuidParam('id', 'health system') id: string): Promise<void> {
    await this.healthSystems.delete(id);
  }
}
