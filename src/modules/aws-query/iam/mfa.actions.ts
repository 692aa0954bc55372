import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { CreateMfaDeviceDto, EnableMfaDeviceDto, MfaSerialDto } from '../../mfa/dto/mfa.dto.js';
import { MfaService } from '../../mfa/mfa.service.js';
import type { QueryAction, QueryActionSet } from '../query-action.js';
import { callerAccount, dateOf, iamAction, pageMembers, pageParams, paginate, targetResource, userTarget, validateAs, type UserTarget } from './iam-shapes.js';

/**
 * The caller as the owner of a device: CreateVirtualMFADevice and
 * DeleteVirtualMFADevice name no user. The broker's devices always belong to
 * a user (there are no unassigned devices), so a device is created for the
 * caller, which then enables it for itself (AWS's self-service MFA pattern).
 */
function callerTarget(auth: AuthContext): UserTarget {
  const accountId = callerAccount(auth);
  if (auth.principal.kind === 'IAMUser') return { accountId, userName: auth.principal.name };
  if (auth.principal.kind === 'Root') return { accountId, userName: null };
  throw DomainError.validation('Virtual MFA devices belong to users: call this with a user\'s credentials (IAM user or root).');
}

/** AWS's BootstrapDatum blobs travel base64-encoded: the seed blob holds the Base32 text itself. */
export function base32SeedBlob(base32: string): string {
  return Buffer.from(base32, 'ascii').toString('base64');
}

/**
 * Virtual MFA devices over AWS Query: CreateVirtualMFADevice,
 * EnableMFADevice, DeactivateMFADevice, ListMFADevices,
 * DeleteVirtualMFADevice (MfaService, as REST). The seed and QR code are in
 * CreateVirtualMFADevice's result only; codes are never echoed.
 */
@Injectable()
export class MfaQueryActions implements QueryActionSet {
  constructor(private readonly mfa: MfaService) {}

  readonly actions: QueryAction[] = [
    iamAction(
      'CreateVirtualMFADevice',
      'iam:CreateVirtualMFADevice',
      ({ auth }, lookup) => targetResource(auth, callerTarget(auth), lookup),
      async ({ auth, params, client }) => {
        const path = params.str('Path');
        if (path !== undefined && path !== '/') throw DomainError.validation('Virtual MFA devices can only have the path "/" on this broker.');
        if (params.structList('Tags', ['Key', 'Value'] as const)?.length) throw DomainError.validation('Tags on virtual MFA devices are not supported by this broker.');
        const dto = validateAs(CreateMfaDeviceDto, { deviceName: params.str('VirtualMFADeviceName') ?? '' });
        const d = await this.mfa.create(auth, callerTarget(auth), dto.deviceName, client);
        return { VirtualMFADevice: { SerialNumber: d.serialNumber, Base32StringSeed: base32SeedBlob(d.base32StringSeed), QRCodePNG: d.qrCodePng } };
      },
    ),

    iamAction(
      'EnableMFADevice',
      'iam:EnableMFADevice',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params, client }) => {
        const dto = validateAs(EnableMfaDeviceDto, {
          serialNumber: params.str('SerialNumber') ?? '',
          authenticationCode1: params.str('AuthenticationCode1') ?? '',
          authenticationCode2: params.str('AuthenticationCode2') ?? '',
        });
        await this.mfa.enable(auth, userTarget(auth, params), dto.serialNumber, dto.authenticationCode1, dto.authenticationCode2, client);
        return undefined;
      },
    ),

    iamAction(
      'DeactivateMFADevice',
      'iam:DeactivateMFADevice',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params, client }) => {
        const dto = validateAs(MfaSerialDto, { serialNumber: params.str('SerialNumber') ?? '' });
        await this.mfa.deactivate(auth, userTarget(auth, params), dto.serialNumber, client);
        return undefined;
      },
    ),

    iamAction(
      'ListMFADevices',
      'iam:ListMFADevices',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params }) => {
        const page = pageParams(params);
        const res = await this.mfa.list(userTarget(auth, params));
        // ListMFADevices lists the devices assigned to the user: enabled ones.
        const enabled = res.mfaDevices.filter((d) => d.enabled && d.enableDate);
        const { items, marker } = paginate(enabled, (d) => `${d.enableDate}|${d.serialNumber}`, page);
        return { MFADevices: items.map((d) => ({ UserName: d.userName, SerialNumber: d.serialNumber, EnableDate: dateOf(d.enableDate) })), ...pageMembers(marker) };
      },
    ),

    iamAction(
      'DeleteVirtualMFADevice',
      'iam:DeleteVirtualMFADevice',
      ({ auth }, lookup) => targetResource(auth, callerTarget(auth), lookup),
      async ({ auth, params, client }) => {
        const dto = validateAs(MfaSerialDto, { serialNumber: params.str('SerialNumber') ?? '' });
        await this.mfa.delete(auth, callerTarget(auth), dto.serialNumber, client);
        return undefined;
      },
    ),
  ];
}
