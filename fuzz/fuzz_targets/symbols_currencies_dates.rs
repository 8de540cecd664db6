//! Tickers, currency codes and dates as users type them: never a panic,
//! and a symbol that is accepted can never reach a path or a URL as
//! anything but one plain segment.
#![no_main]

use auravest_core::{Currency, Symbol};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.split('\n').take(16) {
        if let Ok(s) = Symbol::new(line) {
            let v = s.as_str();
            assert!(!v.contains('/') && !v.contains('\\') && !v.contains(".."), "{v:?}");
            assert!(!v.starts_with(['=', '+', '-', '@', '.']), "{v:?}");
            assert!(v.len() <= auravest_core::MAX_SYMBOL_LEN, "{v:?}");
            assert_eq!(Symbol::new(v).ok().as_ref(), Some(&s), "not idempotent: {v:?}");
        }
        let _ = Currency::new(line);
        let _ = auravest_core::parse_date("date", line);
    }
});
