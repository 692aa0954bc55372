import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { DomainError } from '../errors/domain-error.js';

/** The one set of options for every DTO: unknown fields are rejected. */
export const VALIDATION_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? m.replace(e.property, path) : `${path}: ${m}`));
    return [...own, ...flattenValidationErrors(e.children ?? [], path)];
  });
}

export function validationErrorOf(errors: ValidationError[]): DomainError {
  const msgs = flattenValidationErrors(errors).slice(0, 10);
  return DomainError.validation(msgs.join('; ') || 'The request is invalid.');
}

/** Validates a body outside the pipe (strategies run before pipes). */
export function validateDto<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw DomainError.validation('The request body must be a JSON object.');
  const dto = plainToInstance(cls, body);
  const errors = validateSync(dto, VALIDATION_OPTIONS);
  if (errors.length) throw validationErrorOf(errors);
  return dto;
}

/** Deepest nesting a request body may have (policy documents need about five levels). */
export const MAX_BODY_DEPTH = 32;

/** True when a parsed JSON value nests objects/arrays deeper than `max` (checked without recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}
