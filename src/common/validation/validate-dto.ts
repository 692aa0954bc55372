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
