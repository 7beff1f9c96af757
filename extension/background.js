// The extension's service worker: the toolbar button opens the client page (the same index.html the
// relay serves) in a new tab. Everything else happens in that page.
chrome.action.onClicked.addListener(() => {
  chrome.tabs.create({ url: chrome.runtime.getURL('index.html') });
});
