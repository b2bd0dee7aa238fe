/** The error `f` throws, typed as the caller expects; fails the test when `f` returns normally. */
export function thrown<E extends Error = Error>(f: () => unknown): E {
  try {
    f();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected an error');
}
