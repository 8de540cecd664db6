//! A JavaScript argument as a self-describing value with every key it has,
//! so that `deny_unknown_fields` sees the keys a type does not declare.
//!
//! serde-wasm-bindgen reads a struct by looking up only the fields the type
//! declares, so a misspelt option (`{ bound: … }`) would be silently
//! ignored; reading the argument first into [`Loose`] (every key, numbers
//! as they are, `NaN` included) and the binding type from that makes serde
//! refuse it.

use serde::de::value::{Error, MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// A JavaScript value as read by serde-wasm-bindgen, keys and all.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loose {
    /// `null` or `undefined`.
    Null,
    Bool(bool),
    /// A safe integer.
    Int(i64),
    /// Any other number, non-finite ones included.
    Float(f64),
    Str(String),
    Seq(Vec<Loose>),
    /// An object's keys in order; a key whose value is `undefined` or
    /// `null` is left out, as if absent.
    Map(Vec<(String, Loose)>),
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JavaScript value")
    }
    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        Loose::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
        i64::try_from(v)
            .map(Loose::Int)
            .map_err(|_| E::custom("an integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Str(v))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Loose::Seq(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Loose>()? {
            if value != Loose::Null {
                entries.push((key, value));
            }
        }
        Ok(Loose::Map(entries))
    }
}

impl<'de> Deserializer<'de> for Loose {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Self::Null => v.visit_unit(),
            Self::Bool(b) => v.visit_bool(b),
            Self::Int(n) => v.visit_i64(n),
            Self::Float(x) => v.visit_f64(x),
            Self::Str(s) => v.visit_string(s),
            Self::Seq(items) => v.visit_seq(SeqDeserializer::new(items.into_iter())),
            Self::Map(entries) => v.visit_map(MapDeserializer::new(entries.into_iter())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Self::Null => v.visit_none(),
            other => v.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self {
            Self::Str(s) => v.visit_enum(s.into_deserializer()),
            Self::Map(entries) => v.visit_enum(MapAccessDeserializer::new(MapDeserializer::new(
                entries.into_iter(),
            ))),
            other => other.deserialize_any(v),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

impl IntoDeserializer<'_, Error> for Loose {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Options {
        risk_free_rate: Option<f64>,
        points: Option<usize>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    enum Mode {
        Native,
    }

    fn map(entries: &[(&str, Loose)]) -> Loose {
        Loose::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let e = Options::deserialize(map(&[("riskfreeRate", Loose::Float(0.02))])).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `riskfreeRate`"),
            "{e}"
        );
    }

    #[test]
    fn numbers_keep_their_kind_and_nan_stays_nan() {
        let o = Options::deserialize(map(&[
            ("riskFreeRate", Loose::Float(f64::NAN)),
            ("points", Loose::Int(3)),
            ("mode", Loose::Str("native".to_owned())),
        ]))
        .unwrap();
        assert!(o.risk_free_rate.is_some_and(f64::is_nan));
        assert_eq!((o.points, o.mode), (Some(3), Some(Mode::Native)));
        assert!(Options::deserialize(map(&[("points", Loose::Float(2.9))])).is_err());
        assert!(Options::deserialize(map(&[("points", Loose::Int(-1))])).is_err());
    }
}
