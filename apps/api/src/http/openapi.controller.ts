import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/auth.guard';
import { openApiDocument } from './openapi';

@Controller()
export class OpenApiController {
  private readonly document = openApiDocument();

  @Get('openapi.json')
  @Public()
  spec(): Record<string, unknown> {
    return this.document;
  }
}
