import { loadIngestConfig } from './ingest.config';
import { REQUIRED_APP_ENV as required } from '../../../test/support/app-env';

describe('ingest configuration', () => {
  it('saves a stream’s replay id at most every 5 s by default', () => {
    expect(loadIngestConfig(required).INGEST_OFFSET_FLUSH_MS).toBe(5000);
    expect(loadIngestConfig({ ...required, INGEST_OFFSET_FLUSH_MS: '250' }).INGEST_OFFSET_FLUSH_MS).toBe(250);
  });

  it('refuses a flush interval of 0 or over a minute, naming the variable', () => {
    expect(() => loadIngestConfig({ ...required, INGEST_OFFSET_FLUSH_MS: '0' })).toThrow(/INGEST_OFFSET_FLUSH_MS/);
    expect(() => loadIngestConfig({ ...required, INGEST_OFFSET_FLUSH_MS: '120000' })).toThrow(/INGEST_OFFSET_FLUSH_MS/);
  });
});
