// Sets the colour theme before the page is first drawn, so it never
// flashes in the wrong one: a classic script, loaded synchronously in
// <head> before the stylesheet. The choice is kept in localStorage under
// `auravest.theme` ("light", "dark" or "system", the default); once signed
// in, the profile's theme (GET /me) wins and is written back here.
(function () {
  'use strict';
  var theme = 'system';
  try {
    theme = window.localStorage.getItem('auravest.theme') || 'system';
  } catch (e) {
    // Storage may be blocked: follow the device.
  }
  if (theme !== 'light' && theme !== 'dark') theme = 'system';
  document.documentElement.dataset.theme = theme;
  // The browser's toolbar colour follows the chosen theme too: a fixed
  // choice applies its colour whatever the device's scheme.
  var metas = document.querySelectorAll('meta[name="theme-color"]');
  for (var i = 0; i < metas.length; i += 1) {
    var m = metas[i];
    var scheme = /dark/.test(m.getAttribute('media') || '') ? 'dark' : 'light';
    m.dataset.scheme = scheme;
    if (theme !== 'system') m.setAttribute('media', scheme === theme ? 'all' : 'not all');
  }
}());
