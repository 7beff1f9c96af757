// The page's IndexedDB database, with the few promise-returning calls the stores need. IndexedDB is per
// origin: the page served by a relay and the extension each have their own.
const DB_NAME = 'sshrelay';
const DB_VERSION = 1;
export const STORES = { knownHosts: 'known-hosts', keys: 'keys' };

let opening = null;

function openDb() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORES.knownHosts)) db.createObjectStore(STORES.knownHosts);
      if (!db.objectStoreNames.contains(STORES.keys)) db.createObjectStore(STORES.keys, { keyPath: 'id', autoIncrement: true });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => { opening = null; reject(req.error); };
  });
  return opening;
}

async function run(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(req?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const idbGet = (store, key) => run(store, 'readonly', (s) => s.get(key));
export const idbAll = (store) => run(store, 'readonly', (s) => s.getAll());
export const idbPut = (store, value, key) => run(store, 'readwrite', (s) => (key === undefined ? s.put(value) : s.put(value, key)));
export const idbDelete = (store, key) => run(store, 'readwrite', (s) => s.delete(key));
