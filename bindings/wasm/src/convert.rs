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
        .map_err(|e| Failure::new("internal", e.to_string()))
}

/// A string argument, whatever JavaScript passed: anything else (a number,
/// an object, `null`, a missing argument) is an `InvalidArgument` naming
/// `field`, never a trap in the generated glue.
pub(crate) fn string(field: &str, value: &JsValue) -> Outcome<String> {
    value.as_string().ok_or_else(|| {
        let got = if value.is_undefined() {
            "nothing".to_owned()
        } else if value.is_null() {
            "null".to_owned()
        } else {
            value.js_typeof().as_string().unwrap_or_default()
        };
        Failure::argument(field, format!("expected a string, got {got}"))
    })
}

/// An optional string argument: `undefined` and `null` are absent.
pub(crate) fn optional_string(field: &str, value: Option<JsValue>) -> Outcome<Option<String>> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => string(field, &v).map(Some),
        _ => Ok(None),
    }
}

/// An array of strings, the position of a non-string element as its
/// 1-based `line`.
#[cfg(feature = "full")]
pub(crate) fn strings(field: &str, value: &JsValue) -> Outcome<Vec<String>> {
    if !js_sys::Array::is_array(value) {
        return Err(Failure::argument(field, "expected an array of strings"));
    }
    js_sys::Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            string(field, &v).map_err(|mut f| {
                f.line = Some(i + 1);
                f
            })
        })
        .collect()
}
