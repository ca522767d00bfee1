/** A secret encrypted at rest (AES-256-GCM): which key, the nonce, the auth tag and the ciphertext, base64. */
export interface EncryptedSecret {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export type ConnectionStatus = 'CONNECTED' | 'NEEDS_RECONNECT';
export type SalesforceEnvironment = 'production' | 'sandbox' | 'custom';

export interface SalesforceOrg {
  orgId: string;
  instanceUrl: string;
  /** The login host the org was connected through (production, sandbox or a My Domain). */
  loginUrl: string;
  environment: SalesforceEnvironment;
  integrationUserId: string;
  username: string | null;
}

export interface ConnectionCredentials {
  accessToken: EncryptedSecret;
  refreshToken: EncryptedSecret | null;
  issuedAt: Date;
  scope: string | null;
}

export interface FieldMapping {
  journyProperty: string;
  /** string | number | boolean | datetime | string_array: what the value is converted from. */
  journyType: string;
  salesforceField: string;
}

export interface ConnectionSettings {
  /** The Salesforce Account field that holds journy's account id (the product document's "External ID for Accounts"). */
  accountExternalIdField: string | null;
  /**
   * ongoingImport: new records created in Salesforce are imported live. changeStream: which API delivers the
   * change events (null: the ingest instance's default, INGEST_CHANGE_STREAM).
   */
  source: { ongoingImport: boolean; changeStream: 'pubsub' | 'cometd' | null };
  destination: {
    userSegments: string[];
    accountSegments: string[];
    createContacts: boolean;
    createAccounts: boolean;
    contactMappings: FieldMapping[];
    accountMappings: FieldMapping[];
  };
}

export interface Connection {
  id: string;
  tenantId: string;
  name: string;
  enabled: boolean;
  status: ConnectionStatus;
  statusReason: string | null;
  org: SalesforceOrg;
  credentials: ConnectionCredentials;
  settings: ConnectionSettings;
  /** Increases on every change; change events carry it so consumers know which state they acted on. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewConnection = Pick<Connection, 'name' | 'org' | 'credentials'> & Partial<Pick<Connection, 'enabled' | 'settings'>>;

export type ConnectionPatch = Partial<Pick<Connection, 'name' | 'enabled' | 'status' | 'statusReason' | 'org' | 'credentials' | 'settings'>>;

export function defaultSettings(): ConnectionSettings {
  return {
    accountExternalIdField: null,
    source: { ongoingImport: false, changeStream: null },
    destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: [], accountMappings: [] },
  };
}
