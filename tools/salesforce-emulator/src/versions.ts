/**
 * The REST API versions a real org serves: every version from 31.0 (Summer '14; 21.0–30.0 were retired in
 * Summer '25) up to the current release. Three releases a year: Spring, Summer, Winter (named for the next year).
 */
export const OLDEST_VERSION = 31;
/** Winter '27, the release orgs run in December 2026. */
export const CURRENT_VERSION = 68;

export const API_VERSIONS: string[] = Array.from({ length: CURRENT_VERSION - OLDEST_VERSION + 1 }, (_, i) => `${OLDEST_VERSION + i}.0`);
export const LATEST_VERSION = API_VERSIONS[API_VERSIONS.length - 1];

/** "Summer '14" for 31.0, "Winter '15" for 32.0, "Spring '15" for 33.0, … */
export function versionLabel(version: string): string {
  const steps = Math.round(Number(version)) - OLDEST_VERSION;
  const season = ['Summer', 'Winter', 'Spring'][steps % 3];
  // Summer '14 is step 0; a Winter release carries the next year's name, as does the Spring that follows it.
  const year = 14 + Math.floor((steps + 2) / 3);
  return `${season} '${String(year).padStart(2, '0')}`;
}

export function isServedVersion(version: string): boolean {
  return API_VERSIONS.includes(version);
}

/** A version older than the oldest served one answers 410 Gone, as retired versions do. */
export function isRetiredVersion(version: string): boolean {
  return Number(version) < OLDEST_VERSION;
}
