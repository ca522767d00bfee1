import { DescribeCache } from '@connector/org-access';
import { ALL_CHANGES_CHANNEL } from '@connector/salesforce';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DEFAULT_MAPPINGS, JOURNY_TYPES, COMPATIBILITY, canServeAsAccountId, isMappable } from '@connector/mapping';
import { ApiUsageRepository, ApiUsageSnapshot, Connection, ConnectionsRepository, StreamOffset, StreamOffsetsRepository } from '@connector/persistence';
import { authorizeBody, type AuthorizeBody, callbackQuery, connectionView as connectionSchema, fieldsAnswer, fieldsQuery, settingsPatch, type SettingsPatch } from './connections.schemas';
import { ZodPipe } from '../http/zod.pipe';
import { CurrentPrincipal, Public, RequireScope } from '../auth/auth.guard';
import { CallbackFailure, ConnectService } from './connect.service';
import { SettingsService } from './settings.service';
import type { Principal } from '../auth/jwt-verifier';

/** What the API shows of a connection: never its credentials. */
export function connectionView(connection: Connection, usage?: ApiUsageSnapshot | null, stream?: StreamOffset | null) {
  return connectionSchema.parse({
    id: connection.id,
    name: connection.name,
    enabled: connection.enabled,
    status: connection.status,
    statusReason: connection.statusReason,
    salesforce: {
      orgId: connection.org.orgId,
      instanceUrl: connection.org.instanceUrl,
      environment: connection.org.environment,
      username: connection.org.username,
    },
    settings: {
      ...connection.settings,
      source: { ongoingImport: connection.settings.source.ongoingImport, changeStream: connection.settings.source.changeStream ?? null },
      destination: {
        ...connection.settings.destination,
        defaultContactMappings: DEFAULT_MAPPINGS.Contact,
        defaultAccountMappings: DEFAULT_MAPPINGS.Account,
      },
    },
    revision: connection.revision,
    ...(usage === undefined ? {} : { apiUsage: apiUsageView(usage) }),
    ...(stream === undefined ? {} : { stream: streamView(stream) }),
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
  });
}

/** The org's daily API usage as the apps last saw it, and whether journy → Salesforce writes are paused for it. */
function apiUsageView(usage: ApiUsageSnapshot | null) {
  if (!usage) return null;
  return {
    used: usage.used,
    limit: usage.limit,
    remaining: Math.max(0, usage.limit - usage.used),
    paused: usage.pausedUntil !== null && usage.pausedUntil.getTime() > Date.now(),
    pausedUntil: usage.pausedUntil?.toISOString() ?? null,
    pauseReason: usage.pauseReason,
    observedAt: usage.observedAt.toISOString(),
  };
}

/** The change stream's stored position: which source it belongs to, and why it is not the configured one, if so. */
function streamView(offset: StreamOffset | null) {
  if (!offset) return null;
  return {
    source: offset.source,
    fallbackReason: offset.fallbackReason,
    lastCommitAt: offset.commitTimestamp === null ? null : new Date(offset.commitTimestamp).toISOString(),
    updatedAt: offset.updatedAt.toISOString(),
  };
}

const CONNECTION_ID = /^con_[0-9a-f]{24}$/;

@Controller('v1/connections')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly connect: ConnectService,
    private readonly settings: SettingsService,
    private readonly describe: DescribeCache,
    private readonly apiUsage: ApiUsageRepository,
    private readonly offsets: StreamOffsetsRepository,
  ) {}

  /** Changes settings (any of the three tabs); validated against the org's metadata; 409 on a stale revision. */
  @Patch(':connectionId')
  @RequireScope('connector:write')
  async update(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Body(new ZodPipe(settingsPatch, 'body')) patch: SettingsPatch) {
    return connectionView(await this.settings.update(principal.tenantId, connectionId, patch));
  }

  /** Field discovery for the UI: an object's fields with their types and what the connector can do with them. */
  @Get(':connectionId/salesforce/objects/:object/fields')
  async fields(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Param('object') object: string, @Query(new ZodPipe(fieldsQuery, 'query')) query: { refresh?: 'true' | 'false' }) {
    if (object !== 'Account' && object !== 'Contact') throw new NotFoundException({ code: 'OBJECT_NOT_SUPPORTED', message: 'fields are listed for Account and Contact' });
    const connection = await this.settings.require(principal.tenantId, connectionId);
    const fields = await this.describe.fields(connection, object, { refresh: query.refresh === 'true' });
    return fieldsAnswer.parse({
      object,
      fields: [...fields.values()].map((f) => ({
        name: f.name,
        label: f.label,
        type: f.type,
        length: f.length,
        precision: f.precision,
        scale: f.scale,
        nillable: f.nillable,
        createable: f.createable,
        updateable: f.updateable,
        unique: f.unique,
        externalId: f.externalId,
        picklistValues: f.picklistValues,
        restrictedPicklist: f.restrictedPicklist,
        mappable: isMappable(f),
        accepts: isMappable(f) ? JOURNY_TYPES.filter((t) => COMPATIBILITY[f.type]?.includes(t)) : [],
        ...(object === 'Account' ? { canServeAsAccountId: canServeAsAccountId(f) } : {}),
      })),
    });
  }

  /** Starts connecting an org: the Salesforce authorize URL to send the person to. */
  @Post('salesforce/authorize')
  @RequireScope('connector:write')
  @HttpCode(200)
  async start(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(authorizeBody, 'body')) body: AuthorizeBody) {
    return this.connect.start(principal.tenantId, { environment: body.environment, returnUrl: body.returnUrl, myDomainUrl: body.environment === 'custom' ? body.myDomainUrl : undefined });
  }

  @Delete(':connectionId')
  @RequireScope('connector:write')
  @HttpCode(204)
  async disconnect(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string): Promise<void> {
    if (!CONNECTION_ID.test(connectionId)) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    await this.connect.disconnect(principal.tenantId, connectionId);
  }

  /** Each connection with its API usage (one point read each), so a list of connections needs no other request. */
  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    const connections = await this.connections.list(principal.tenantId);
    const usages = await Promise.all(connections.map((c) => this.apiUsage.find(principal.tenantId, c.id)));
    return { connections: connections.map((c, i) => connectionView(c, usages[i])) };
  }

  /** Another tenant's connection answers 404, exactly like one that does not exist. */
  @Get(':connectionId')
  async get(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string) {
    const connection = CONNECTION_ID.test(connectionId) ? await this.connections.findById(principal.tenantId, connectionId) : null;
    if (!connection) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    const [usage, offsets] = await Promise.all([this.apiUsage.find(principal.tenantId, connection.id), this.offsets.forConnection(principal.tenantId, connection.id)]);
    return connectionView(connection, usage, offsets.find((o) => o.channel === ALL_CHANGES_CHANNEL) ?? null);
  }
}

/** Where Salesforce sends the person back after consent (the connected app's callback URL). */
@Controller('v1/oauth/salesforce')
export class OAuthCallbackController {
  constructor(private readonly connect: ConnectService) {}

  /**
   * Answers JSON, or, when the connection was started with a returnUrl, sends the person back to journy's web app
   * with `connectionId` and `status=connected`, or `error` and `message`.
   */
  @Get('callback')
  @Public()
  async callback(@Query(new ZodPipe(callbackQuery, 'query')) query: { code?: string; state?: string; error?: string; error_description?: string }, @Res({ passthrough: true }) res: Response) {
    try {
      const { connection, created, returnUrl } = await this.connect.callback(query);
      if (returnUrl) {
        const target = new URL(returnUrl);
        target.searchParams.set('connectionId', connection.id);
        target.searchParams.set('status', created ? 'connected' : 'reconnected');
        res.redirect(302, target.toString());
        return undefined;
      }
      return { created, connection: connectionView(connection) };
    } catch (error) {
      if (!(error instanceof CallbackFailure)) throw error;
      if (!error.returnUrl) throw error.error;
      const body = error.error.getResponse() as { code: string; message: string };
      const target = new URL(error.returnUrl);
      target.searchParams.set('error', body.code);
      target.searchParams.set('message', body.message);
      res.redirect(302, target.toString());
      return undefined;
    }
  }
}
