/** Prisma's unique-constraint violation (P2002), whichever driver adapter raised it. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string }; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  return (
    err?.code === 'P2002' ||
    err?.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation' ||
    err?.cause?.code === '23505'
  );
}

/** Prisma's "record to update/delete not found" (P2025). */
export function isNotFound(e: unknown): boolean {
  return (e as { code?: string })?.code === 'P2025';
}
