//! The shared proptest strategies produce what they promise.

use auravest_core::strategies::{price_frame, symbol, trade_log};
use auravest_core::{Currency, Portfolio, Symbol};
use proptest::prelude::*;

proptest! {
    #[test]
    fn generated_logs_always_import(log in trade_log(vec![Symbol::new("A").unwrap(), Symbol::new("B").unwrap()], 40)) {
        let mut p = Portfolio::new(Currency::USD, "2030-01-01".parse().unwrap());
        for t in &log {
            p.insert(t.clone()).unwrap();
        }
        prop_assert_eq!(p.transactions().len(), log.len());
    }

    #[test]
    fn generated_frames_are_valid(frame in price_frame(3, 30)) {
        prop_assert_eq!(frame.len(), 30);
        prop_assert_eq!(frame.columns().len(), 3);
        prop_assert!(frame.column_at(0).unwrap().iter().all(|v| v.is_some_and(|x| x > 0.0)));
    }

    #[test]
    fn generated_symbols_parse_back(s in symbol()) {
        prop_assert_eq!(Symbol::new(s.as_str()).unwrap(), s);
    }
}
