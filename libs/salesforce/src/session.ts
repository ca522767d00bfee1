/** Access to one org: where it lives and a token, with a refresh that concurrent callers share. */
export interface SalesforceSession {
  readonly instanceUrl: string;
  accessToken(): string;
  /**
   * Refreshes the access token once for every caller waiting on it; AuthError when the grant is gone. With the
   * token that failed, a caller whose 401 comes after another caller's refresh gets the new token at once.
   */
  refresh(failedToken?: string): Promise<string>;
}

/**
 * A session whose refresh is single-flight: while one refresh is in progress, other callers that got a 401 wait
 * for it instead of starting their own (Salesforce would accept them, but each burns a call and a token).
 */
export class SharedRefreshSession implements SalesforceSession {
  private token: string;
  private inFlight: Promise<string> | null = null;

  constructor(
    readonly instanceUrl: string,
    initialToken: string,
    private readonly doRefresh: () => Promise<string>,
  ) {
    this.token = initialToken;
  }

  accessToken(): string {
    return this.token;
  }

  refresh(failedToken?: string): Promise<string> {
    if (failedToken !== undefined && failedToken !== this.token && !this.inFlight) return Promise.resolve(this.token);
    this.inFlight ??= this.doRefresh()
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
