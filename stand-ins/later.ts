/**
 * A stand-in (or a client of one) that a test file names at load time but that starts in beforeAll:
 * the proxy forwards every property to the real object once it is set, methods bound to it, and
 * says so plainly when used too early.
 */
export function later<T extends object>(
  what: string,
): { readonly proxy: T; set(value: T | undefined): void; current(): T | undefined } {
  let target: T | undefined;
  const real = (): T => {
    if (!target) throw new Error(`${what} is not running: use it inside a test or a hook, after beforeAll`);
    return target;
  };
  const proxy = new Proxy({} as T, {
    get(_, prop) {
      const t = real();
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(_, prop, value) {
      return Reflect.set(real(), prop, value);
    },
    has: (_, prop) => Reflect.has(real(), prop),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, prop) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), prop);
      return d ? { ...d, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
  return { proxy, set: (value) => void (target = value), current: () => target };
}
