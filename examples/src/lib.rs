//! Runnable examples of the AuraVest SDK live beside this crate (`cargo run -p auravest-examples --example NAME`).
