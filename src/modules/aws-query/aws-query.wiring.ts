import type { Provider, Type } from '@nestjs/common';
import { IAM_ACTION_SETS } from './iam/iam-actions.wiring.js';

/** The AWS Query transport (STS and IAM wire protocol). */
export const AWS_QUERY_CONTROLLERS: Type<unknown>[] = [];
export const AWS_QUERY_PROVIDERS: Provider[] = [...IAM_ACTION_SETS];
