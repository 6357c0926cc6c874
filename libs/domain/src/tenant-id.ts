/**
 * A tenant's id, branded so the compiler tells it from any other string: a tenant-scoped
 * repository method takes a `TenantId`, and a bare string (an app id in the wrong place, a
 * value from a request body or query) does not compile there.
 *
 * Only trusted sources make one (`trustedTenantId`): the API key authenticator (the caller's
 * tenant), the parsing of a job's payload (written by the broker), and the mapping of a row the
 * broker read (its tenant column). An operator route names a tenant in its path: the operator
 * may act on any tenant, so that id is trusted by the operator guard.
 */
declare const tenantIdBrand: unique symbol;
export type TenantId = string & { readonly [tenantIdBrand]: true };

/** A tenant id from a trusted source (see `TenantId`). Never call it on a tenant's own input. */
export function trustedTenantId(id: string): TenantId {
  return id as TenantId;
}
