// The last few targets connected to, with how the user logged in, so the form can offer them again.
// localStorage is enough: nothing secret is kept here.
const STORAGE_KEY = 'sshrelay.recent';
const MAX_RECENT = 8;

export function recentTargets() {
  try {
    const list = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((r) => typeof r?.target === 'string') : [];
  } catch {
    return [];
  }
}

// entry: {target: 'user@host:port', method, keyId?, relay?}; most recent first, one entry per target.
export function rememberTarget(entry) {
  const list = [entry, ...recentTargets().filter((r) => r.target !== entry.target)].slice(0, MAX_RECENT);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
}

export function forgetTarget(target) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(recentTargets().filter((r) => r.target !== target)));
}
