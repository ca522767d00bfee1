import { Controller, Get, Inject } from '@nestjs/common';
import { CONNECT_OPTIONS, type ConnectOptions } from '../connections/connect.service';
import { Public } from '../auth/auth.guard';
import { openApiDocument } from './openapi';

@Controller()
export class OpenApiController {
  private readonly document: Record<string, unknown>;

  constructor(@Inject(CONNECT_OPTIONS) options: ConnectOptions) {
    this.document = openApiDocument({ returnUrlOrigins: options.returnUrlOrigins });
  }

  @Get('openapi.json')
  @Public()
  spec(): Record<string, unknown> {
    return this.document;
  }
}
