/** Immutable collections for the engine's state: a copy per change, everything else shared. */

export function put<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}

export function without<K, V>(collection: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V>;
export function without<K>(collection: ReadonlySet<K>, key: K): ReadonlySet<K>;
export function without<K, V>(
  collection: ReadonlyMap<K, V> | ReadonlySet<K>,
  key: K,
): ReadonlyMap<K, V> | ReadonlySet<K> {
  if (collection instanceof Map) {
    const next = new Map(collection as ReadonlyMap<K, V>);
    next.delete(key);
    return next;
  }
  const next = new Set(collection as ReadonlySet<K>);
  next.delete(key);
  return next;
}
