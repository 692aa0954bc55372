import type { AccessKeyRow } from './access-keys.repository.js';

const DAY = 86_400_000;

/** Metadata only: the secret is never part of a view. */
export function accessKeyView(k: AccessKeyRow, userName: string, maxAgeDays: number | null, now = new Date()) {
  const ageDays = Math.floor((now.getTime() - k.createdAt.getTime()) / DAY);
  return {
    userName,
    accessKeyId: k.id,
    status: k.status,
    createDate: k.createdAt.toISOString(),
    ageDays,
    exceedsMaxAge: maxAgeDays !== null && ageDays >= maxAgeDays,
    source: k.upstream ? 'aws' : 'broker',
    lastUsed: k.lastUsedAt
      ? { date: k.lastUsedAt.toISOString(), serviceName: k.lastUsedService, action: k.lastUsedAction, region: k.lastUsedRegion }
      : { date: null, serviceName: 'N/A', action: null, region: 'N/A' },
  };
}

/** The console's "Download .csv file" body. */
export function accessKeyCsv(accessKeyId: string, secretAccessKey: string): string {
  return `Access key ID,Secret access key\r\n${accessKeyId},${secretAccessKey}\r\n`;
}
