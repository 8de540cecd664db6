//! Reading JavaScript values into the binding's types and writing results
//! back, the one place values cross.

use serde::Serialize;
use wasm_bindgen::JsValue;

pub(crate) use crate::errors::read;
use crate::errors::{Failure, Outcome};

/// A result as a plain JavaScript value (objects, arrays, strings, numbers;
/// `undefined` for a missing option).
pub(crate) fn write<T: Serialize>(value: &T) -> Outcome<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| Failure::new("Internal", e.to_string()))
}
