//! Questionnaire answers as the API receives them: decode and score; never
//! a panic, and every profile scored is within its documented bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(answers) = serde_json::from_slice::<auravest_risk::Answers>(data) else {
        return;
    };
    if let Ok(profile) = auravest_risk::score(&answers) {
        let a = &profile.allocation;
        let total = a.stocks + a.bonds + a.cash;
        assert!((total - 1.0).abs() < 1e-9, "allocation sums to {total}");
    }
});
