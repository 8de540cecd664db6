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
}());
