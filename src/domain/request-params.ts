import { latipayError } from './errors.js';
import type { ParamValue, Params } from './signature.js';

/**
 * The parameters of a merchant request, in the order received, with their values exactly
 * as received (signatures are computed over them, spec §2.1).
 */
export class RequestParams {
  readonly entries: Params;
  readonly #byName: Map<string, ParamValue>;

  constructor(entries: Params) {
    this.entries = entries;
    this.#byName = new Map(entries);
  }

  /**
   * From a parsed JSON object, form or query string. Anything that is not a flat object of
   * scalars answers 207 naming the field.
   */
  static from(input: unknown): RequestParams {
    if (input === undefined || input === null) return new RequestParams([]);
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw latipayError('BAD_PARAMETER', 'the request body must be a JSON object or a form');
    }
    const entries: Array<[string, ParamValue]> = [];
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        entries.push([key, value]);
      } else {
        throw latipayError('BAD_PARAMETER', `${key} must be a single text value`);
      }
    }
    return new RequestParams(entries);
  }

  has(name: string): boolean {
    return this.text(name) !== undefined;
  }

  /** The value as the text a signature uses; undefined when absent, null or empty. */
  text(name: string): string | undefined {
    const value = this.#byName.get(name);
    if (value === undefined || value === null) return undefined;
    const text = String(value);
    return text === '' ? undefined : text;
  }

  raw(name: string): ParamValue {
    return this.#byName.get(name);
  }

  /** The text of a field that must be present (204 naming it when absent or empty). */
  required(name: string): string {
    const text = this.text(name);
    if (text === undefined) throw latipayError('MISSING_FIELD', `${name} is required`);
    return text;
  }

  /** Checks every name is present, answering 204 for the first that is not. */
  requireAll(names: readonly string[]): void {
    for (const name of names) this.required(name);
  }
}
