import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with the seconds to wait, which the problem filter sends as `Retry-After`. */
export class TooManyRequestsError extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
