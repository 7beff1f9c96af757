// The user's private keys, generated or imported in this page and kept in IndexedDB: they are handed to
// the wasm client for public-key auth and never sent anywhere (only SSH signatures leave the page).
import { idbAll, idbDelete, idbGet, idbPut, STORES } from './idb.js';

export const listKeys = () => idbAll(STORES.keys);
export const getKey = (id) => idbGet(STORES.keys, Number(id));
export const deleteKey = (id) => idbDelete(STORES.keys, Number(id));

// record: {name, privateKey, publicKey, fingerprint, encrypted}; resolves to the new id.
export function addKey(record) {
  return idbPut(STORES.keys, { ...record, added: new Date().toISOString() });
}

// A new Ed25519 key made by the wasm module (optionally passphrase-protected).
export function generateKey(mod, name, passphrase) {
  const k = mod.generateEd25519(name, passphrase);
  if (k.error) throw new Error(k.error);
  return { name, privateKey: k.privateKey, publicKey: k.publicKey, fingerprint: k.fingerprint, encrypted: passphrase !== '' };
}

// An OpenSSH or PEM private key pasted or read from a file. Tries without a passphrase first, so the
// record knows whether login has to ask for one.
export function importKey(mod, name, privateKeyText, passphrase) {
  const text = privateKeyText.trim() + '\n';
  let k = mod.inspectPrivateKey(text, '', name);
  let encrypted = false;
  if (k.error) {
    if (!passphrase) throw new Error(`${k.error} (if the key is encrypted, enter its passphrase)`);
    k = mod.inspectPrivateKey(text, passphrase, name);
    if (k.error) throw new Error(`${k.error} (wrong passphrase?)`);
    encrypted = true;
  }
  return { name, privateKey: text, publicKey: k.publicKey, fingerprint: k.fingerprint, encrypted };
}
