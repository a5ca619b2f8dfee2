// Small helpers for the plain-JSON config values.

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Plain assignment of "__proto__" would change the prototype instead of adding a key. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export const cloneJson = <T>(v: T): T => structuredClone(v);
