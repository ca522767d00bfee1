import { ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ImportAlreadyRunning, ImportJob, ImportJobsRepository } from '@connector/persistence';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-verifier';
import { importView as importSchema } from './connections.schemas';
import { ConnectionChangesPublisher } from '@connector/org-access';
import { SettingsService } from './settings.service';

function importView(job: ImportJob) {
  return importSchema.parse({
    id: job.id,
    connectionId: job.connectionId,
    state: job.state,
    phase: job.phase,
    counts: job.counts,
    errors: job.errors.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    requestedBy: job.requestedBy,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  });
}

/** The initial import of a connection: start (one at a time), progress, cancel. The ingest app runs it. */
@Controller('v1/connections/:connectionId/imports')
export class ImportsController {
  constructor(private readonly jobs: ImportJobsRepository, private readonly settings: SettingsService, private readonly changes: ConnectionChangesPublisher) {}

  @Post()
  @RequireScope('connector:write')
  @HttpCode(201)
  async start(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string) {
    const connection = await this.settings.require(principal.tenantId, connectionId);
    try {
      const job = await this.jobs.start(principal.tenantId, connectionId, principal.subject);
      await this.changes.changed('UPDATED', connection); // the ingest instance running the connection starts it now
      return importView(job);
    } catch (error) {
      if (error instanceof ImportAlreadyRunning) throw new ConflictException({ code: 'IMPORT_ALREADY_RUNNING', message: error.message });
      throw error;
    }
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string) {
    await this.settings.require(principal.tenantId, connectionId);
    return { imports: (await this.jobs.list(principal.tenantId, connectionId)).map(importView) };
  }

  @Get(':importId')
  async get(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Param('importId') importId: string) {
    const job = await this.jobs.get(principal.tenantId, connectionId, importId);
    if (!job) throw new NotFoundException({ code: 'IMPORT_NOT_FOUND', message: `no import ${importId} for this connection` });
    return importView(job);
  }

  @Post(':importId/cancel')
  @RequireScope('connector:write')
  @HttpCode(200)
  async cancel(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Param('importId') importId: string) {
    const job = await this.jobs.requestCancel(principal.tenantId, connectionId, importId);
    if (!job) throw new NotFoundException({ code: 'IMPORT_NOT_FOUND', message: `no import ${importId} for this connection` });
    return importView(job);
  }
}
