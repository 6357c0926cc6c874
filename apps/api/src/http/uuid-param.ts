import { Param, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from '#domain';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID names nothing: 404, like an id of another tenant. */
class UuidPipe implements PipeTransform<string, string> {
  constructor(private readonly entity: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new NotFoundError(this.entity, value.slice(0, 64));
    return value.toLowerCase();
  }
}

export const UuidParam = (name: string, entity: string) => Param(name, new UuidPipe(entity));
