//! `uniffi-bindgen`: generates the Kotlin and Swift sources from the built
//! `auravest-uniffi` library (library mode), at the library's own UniFFI
//! version.
//!
//! ```text
//! cargo run -p uniffi-bindgen -- generate --library target/debug/libauravest_ffi.so \
//!     --language kotlin --out-dir out/kotlin
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
