// The WebAssembly package (bindings/wasm), loaded on demand from
// /assets/wasm/: the SDK's own rules in the browser, for feedback as the user
// types. Each loader resolves to null when the server does not serve the
// package (the error logged, and the failed load not kept, so a later call
// tries again); the page then goes without that feedback. Nothing here replaces a
// check: the server validates every request either way.

const loaded = new Map();

function load(entry) {
  if (!loaded.has(entry)) {
    loaded.set(entry, import(`/assets/wasm/${entry}.js`)
      .then(async (module) => {
        await module.default();
        return module;
      })
      .catch((e) => {
        // Not cached: a later call tries again (a network blip, a deploy).
        console.warn(`the WebAssembly package (${entry}) did not load:`, e);
        loaded.delete(entry);
        return null;
      }));
  }
  return loaded.get(entry);
}

/** The slim entry: the risk questionnaire and the community's text rules. */
export const slimSdk = () => load('slim');

/** The full entry: also portfolios, prices and the optimiser. */
export const fullSdk = () => load('auravest');
