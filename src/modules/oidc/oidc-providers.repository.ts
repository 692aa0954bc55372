import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { Prisma, type OidcProvider } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';

export type OidcProviderRow = OidcProvider;

/** A JWKS document as stored (public keys only; checked by the service). */
export type StoredJwks = { keys: Record<string, unknown>[] };

export interface NewOidcProvider {
  /** Canonical issuer URL (no trailing slash). */
  url: string;
  arn: string;
  audiences: string[];
  jwksUri: string | null;
  jwks: StoredJwks | null;
}

/** Fields to change; `undefined` leaves a field as it is, `null` clears it. */
export interface OidcProviderPatch {
  audiences?: string[];
  jwksUri?: string | null;
  jwks?: StoredJwks | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a provider id at all (a malformed one is simply not found, never a database error). */
export const isProviderId = (id: string): boolean => typeof id === 'string' && UUID_RE.test(id);

const jsonOrNull = (v: StoredJwks | null) => (v === null ? Prisma.DbNull : (v as unknown as Prisma.InputJsonObject));

/** OIDC identity providers. Every method is scoped by account. */
@Injectable()
export class OidcProvidersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The account's provider with this id; null for an unknown or malformed id. */
  findById(accountId: string, id: string): Promise<OidcProvider | null> {
    if (!isProviderId(id)) return Promise.resolve(null);
    return this.prisma.oidcProvider.findFirst({ where: { accountId, id } });
  }

  /** The account's provider for this issuer URL (exact match on the canonical URL, no trailing slash). */
  findByUrl(accountId: string, url: string): Promise<OidcProvider | null> {
    return this.prisma.oidcProvider.findUnique({ where: { accountId_url: { accountId, url } } });
  }

  list(accountId: string): Promise<OidcProvider[]> {
    return this.prisma.oidcProvider.findMany({ where: { accountId }, orderBy: { url: 'asc' } });
  }

  count(accountId: string, db: Db = this.prisma): Promise<number> {
    return db.oidcProvider.count({ where: { accountId } });
  }

  async create(tx: Tx, accountId: string, d: NewOidcProvider): Promise<OidcProvider> {
    try {
      return await tx.oidcProvider.create({
        data: { accountId, url: d.url, arn: d.arn, audiences: d.audiences, jwksUri: d.jwksUri, jwks: jsonOrNull(d.jwks) },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`Provider with url ${d.url}`);
      throw e;
    }
  }

  async update(tx: Tx, accountId: string, id: string, p: OidcProviderPatch): Promise<OidcProvider> {
    const rows = isProviderId(id)
      ? await tx.oidcProvider.updateManyAndReturn({
          where: { accountId, id },
          data: {
            ...(p.audiences !== undefined ? { audiences: p.audiences } : {}),
            ...(p.jwksUri !== undefined ? { jwksUri: p.jwksUri } : {}),
            ...(p.jwks !== undefined ? { jwks: jsonOrNull(p.jwks) } : {}),
          },
        })
      : [];
    if (!rows[0]) throw DomainError.noSuchEntity('The OpenIDConnect provider');
    return rows[0];
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    const res = isProviderId(id) ? await tx.oidcProvider.deleteMany({ where: { accountId, id } }) : { count: 0 };
    if (res.count === 0) throw DomainError.noSuchEntity('The OpenIDConnect provider');
  }
}
