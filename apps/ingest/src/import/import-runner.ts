import { describeError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import type { Connection, ImportCounts, ImportJob, ImportJobsRepository, ImportPhase, RecordLinksRepository } from '@connector/persistence';
import { RecordReader, type ReadPosition, type SalesforceRestClient } from '@connector/salesforce';
import { InboundModel, ObjectName, selectSoql } from '../model/inbound-model';
import type { JournyPublisher } from '../model/journy-publisher';
import { PublishBatch } from '../model/publish-batch';
import { Translated, translateAccounts, translateContacts, translateRelations } from '../model/translate';

/** Where a resumed import continues: the phase, the read position in it, and when each phase's query began. */
export interface ImportCheckpoint {
  phase: ImportPhase;
  position: ReadPosition | null;
  /** When each object's query started: live changes to records without a link, committed before it, are in the snapshot. */
  queriedAt: Partial<Record<ObjectName, number>>;
}

export interface ImportRunnerDeps {
  jobs: ImportJobsRepository;
  links: RecordLinksRepository;
  publisher: JournyPublisher;
  logger: Logger;
  pageSize: number;
  onPage?: (object: ObjectName, rows: number) => void;
}

const PHASES: { phase: ImportPhase; object: ObjectName }[] = [
  { phase: 'ACCOUNTS', object: 'Account' },
  { phase: 'CONTACTS', object: 'Contact' },
  { phase: 'RELATIONSHIPS', object: 'AccountContactRelation' },
];

export type ImportOutcome = 'SUCCEEDED' | 'CANCELLED' | 'FAILED' | 'STOPPED';

/**
 * Runs (or resumes) one initial import: Accounts, then Contacts, then relationships, each a query read page by
 * page. A page is published (commands and log lines, acknowledged) and its links stored before the checkpoint
 * moves past it, so a crash resumes at the first page not fully done; the re-sent part carries the same
 * command ids. Records without their key are skipped and logged; nothing else stops the import.
 */
export class ImportRunner {
  constructor(private readonly deps: ImportRunnerDeps) {}

  async run(connection: Connection, job: ImportJob, rest: SalesforceRestClient, model: InboundModel, signal: AbortSignal): Promise<ImportOutcome> {
    const { jobs, logger } = this.deps;
    const log = logger.child({ tenantId: connection.tenantId, connectionId: connection.id, importId: job.id });
    const running = await jobs.markRunning(connection.tenantId, connection.id, job.id);
    if (!running) return 'CANCELLED';
    const checkpoint: ImportCheckpoint = (running.checkpoint as ImportCheckpoint | null) ?? { phase: 'ACCOUNTS', position: null, queriedAt: {} };
    const counts = running.counts;
    const errors = [...running.errors];
    log.info({ phase: checkpoint.phase, resumed: running.checkpoint !== null }, running.checkpoint ? 'import resumed from its checkpoint' : 'import started');
    const reader = new RecordReader(rest, { pageSize: this.deps.pageSize });
    const context = { tenantId: connection.tenantId, connectionId: connection.id, orgId: connection.org.orgId, mode: 'INITIAL_IMPORT' as const };
    try {
      for (const { phase, object } of PHASES.slice(PHASES.findIndex((p) => p.phase === checkpoint.phase))) {
        if (object === 'AccountContactRelation' && !model.hasAccountContactRelation) continue;
        checkpoint.phase = phase;
        let readStarted = Date.now();
        for await (const page of readAhead(reader.pages(selectSoql(model, object), checkpoint.position, signal))) {
          const timings = { readMs: Date.now() - readStarted, publishMs: 0, linksMs: 0, checkpointMs: 0 };
          checkpoint.queriedAt[object] ??= page.queriedAt;
          const batch = new PublishBatch(context, job.id);
          const translated = this.translate(object, model, batch, page.rows);
          // Commands and links are independent: both must be done before the checkpoint moves.
          let step = Date.now();
          await Promise.all([
            this.deps.publisher.publish(batch).then(() => (timings.publishMs = Date.now() - step)),
            this.deps.links.upsertMany(connection.tenantId, connection.id, translated.links).then(() => (timings.linksMs = Date.now() - step)),
          ]);
          step = Date.now();
          add(counts[object], translated.counts);
          if (object === 'Contact') add(counts.AccountContactRelation, translated.memberships);
          this.deps.onPage?.(object, page.rows.length);
          checkpoint.position = page.next;
          const state = await jobs.saveProgress(connection.tenantId, connection.id, job.id, { phase, checkpoint: { ...checkpoint }, counts, errors });
          timings.checkpointMs = Date.now() - step;
          log.debug({ object, rows: page.rows.length, ...timings }, 'import page done');
          readStarted = Date.now();
          if (state === 'CANCELLING' || state === null) {
            await jobs.finish(connection.tenantId, connection.id, job.id, 'CANCELLED');
            log.info({ counts }, 'import cancelled');
            return 'CANCELLED';
          }
          if (signal.aborted) {
            log.info({ phase }, 'import paused (the connection moved or the app is stopping); the next owner resumes it');
            return 'STOPPED';
          }
        }
        checkpoint.position = null;
      }
      checkpoint.phase = 'DONE';
      await jobs.saveProgress(connection.tenantId, connection.id, job.id, { phase: 'DONE', checkpoint: { ...checkpoint }, counts, errors });
      await jobs.finish(connection.tenantId, connection.id, job.id, 'SUCCEEDED');
      log.info({ counts, api: reader.usesBulk() ? 'bulk' : 'rest' }, 'import finished');
      return 'SUCCEEDED';
    } catch (error) {
      if (signal.aborted) return 'STOPPED';
      const described = describeError(error);
      if (described.category === 'retryable' || described.category === 'auth') throw error; // the worker retries from the checkpoint
      errors.push({ at: new Date(), code: described.code, message: described.message });
      await jobs.saveProgress(connection.tenantId, connection.id, job.id, { phase: checkpoint.phase, checkpoint: { ...checkpoint }, counts, errors });
      await jobs.finish(connection.tenantId, connection.id, job.id, 'FAILED');
      log.error({ error: described }, 'import failed');
      return 'FAILED';
    }
  }

  private translate(object: ObjectName, model: InboundModel, batch: PublishBatch, rows: Record<string, unknown>[]): Translated {
    const options = { operation: 'UPSERT' as const, snapshot: true };
    if (object === 'Account') return translateAccounts(model, batch, rows, options);
    if (object === 'Contact') return translateContacts(model, batch, rows, options);
    return translateRelations(model, batch, rows, options);
  }
}

function add(into: ImportCounts, from: ImportCounts): void {
  into.read += from.read;
  into.published += from.published;
  into.skipped += from.skipped;
  into.failed += from.failed;
}

/** Asks for the next page as soon as one is handed over: reading (Salesforce) overlaps publishing (Kafka, the store). */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = source.next();
    next.catch(() => undefined); // surfaced when awaited
    yield current.value;
  }
}
