/**
 * The one place that decides where each credential lives. Names are relative: the AWS store adds
 * `SECRETS_NAME_PREFIX`. Every id becomes exactly one path segment, so an id cannot reach into
 * another tenant's part of the tree (no `/`, no `.` or `..` segments).
 */
const SEGMENT = /^[A-Za-z0-9_+=@-][A-Za-z0-9_+=.@-]*$/;

function segment(label: string, id: string): string {
  if (typeof id !== 'string' || !SEGMENT.test(id) || id.length > 128) {
    throw new Error(
      `${label} cannot be used in a secret name: use up to 128 of A-Z a-z 0-9 _+=.@- (not starting with ".")`,
    );
  }
  return id;
}

export const secretNames = {
  /** The credentials of one registration: client_id, client_secret, registration access token and URI. */
  registrationClient(tenantId: string, appId: string, healthSystemId: string): string {
    return `tenants/${segment('tenantId', tenantId)}/apps/${segment('appId', appId)}/health-systems/${segment('healthSystemId', healthSystemId)}/client`;
  },
  /**
   * The newest RFC 7592 registration access token (and client configuration URI) of a
   * registration's clients, kept apart from the client secret so that a site rotating the token
   * on every management call adds versions here, not to the client secret's secret.
   */
  registrationManagement(tenantId: string, appId: string, healthSystemId: string): string {
    return secretNames.managementOf(secretNames.registrationClient(tenantId, appId, healthSystemId));
  },
  /** The management secret that belongs with a registration's client secret (`registrationClient`). */
  managementOf(registrationClientName: string): string {
    return `${registrationClientName}/management`;
  },
  /** The initial access token an operator stored for a health system's registration endpoint (RFC 7591 §3). */
  initialAccessToken(healthSystemId: string): string {
    return `health-systems/${segment('healthSystemId', healthSystemId)}/initial-access-token`;
  },
  /** A private signing key (JWK) the broker generated for an app's `private_key_jwt`. */
  appSigningKey(tenantId: string, appId: string, kid: string): string {
    return `tenants/${segment('tenantId', tenantId)}/apps/${segment('appId', appId)}/keys/${segment('kid', kid)}`;
  },
  /** The private key (PKCS #8 PEM) of an app's UDAP certificate in one trust community. */
  appCertificateKey(tenantId: string, appId: string, certificateId: string): string {
    return `tenants/${segment('tenantId', tenantId)}/apps/${segment('appId', appId)}/udap-certificates/${segment('certificateId', certificateId)}/private-key`;
  },
  /** A software statement (RFC 7591 §2.3) a tenant supplied for an app. */
  appSoftwareStatement(tenantId: string, appId: string): string {
    return `tenants/${segment('tenantId', tenantId)}/apps/${segment('appId', appId)}/software-statement`;
  },
  /** The Standard Webhooks signing secret (`whsec_...`) of one admin webhook endpoint. */
  webhookSigningSecret(healthSystemId: string, endpointId: string): string {
    return `health-systems/${segment('healthSystemId', healthSystemId)}/webhooks/${segment('endpointId', endpointId)}/signing-secret`;
  },
} as const;
