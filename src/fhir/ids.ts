/** Resource ids (R4 datatypes.html#id): 1-64 of letters, digits, '-' and '.'. */
import { randomUUID } from 'node:crypto';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** A new server-assigned id: a random UUID, which fits the id syntax. */
export function newId(): string {
  return randomUUID();
}
