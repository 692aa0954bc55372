import type { Type } from '@nestjs/common';
import type { QueryActionSet } from '../query-action.js';

/** The IAM Query action sets (each an injectable provider). */
export const IAM_ACTION_SETS: Type<QueryActionSet>[] = [];
