//! Owns CBOR on the wire (rpcv2Cbor): request bodies decoded into the same JSON-like value the
//! awsJson bodies become, and responses encoded the way aws-smithy-cbor decodes them
//! (doubles as CBOR floats, integers as integers, timestamps as tag 1 epoch seconds).

use base64::Engine;
use ciborium::value::{Integer, Value as Cbor};
use serde_json::{Map, Number, Value};

/// Deepest nesting accepted in a request body (the SDK's own decoder stops at 128).
const MAX_DEPTH: usize = 64;

/// Decodes a request body. `Err` carries what AWS would say in a SerializationException.
pub(crate) fn decode(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut reader = body;
    let v: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH)
        .map_err(|e| format!("Malformed CBOR body: {e}"))?;
    if !reader.is_empty() {
        return Err("Malformed CBOR body: trailing bytes after the top-level value".into());
    }
    to_json(v)
}

fn to_json(v: Cbor) -> Result<Value, String> {
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => integer(i)?,
        Cbor::Float(f) => float(f)?,
        Cbor::Text(s) => Value::String(s),
        Cbor::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        // Tag 1: epoch seconds (int or float), the only tag rpcv2Cbor uses for timestamps.
        Cbor::Tag(1, inner) => match *inner {
            Cbor::Integer(i) => integer(i)?,
            Cbor::Float(f) => float(f)?,
            _ => return Err("Timestamp tag 1 must hold a number".into()),
        },
        Cbor::Tag(t, _) => return Err(format!("Unsupported CBOR tag {t}")),
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                let Cbor::Text(k) = k else {
                    return Err("CBOR map keys must be text strings".into());
                };
                m.insert(k, to_json(v)?);
            }
            Value::Object(m)
        }
        _ => return Err("Unsupported CBOR value".into()),
    })
}

fn integer(i: Integer) -> Result<Value, String> {
    let n = i128::from(i);
    if let Ok(v) = i64::try_from(n) {
        Ok(Value::Number(v.into()))
    } else if let Ok(v) = u64::try_from(n) {
        Ok(Value::Number(v.into()))
    } else {
        Err("CBOR integer out of range".into())
    }
}

fn float(f: f64) -> Result<Value, String> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "NaN and infinite numbers are not accepted".into())
}

/// Encodes a response. Members named in `timestamps` hold epoch seconds (or lists of them)
/// and are written as tag 1, as the SDK's `Decoder::timestamp` requires.
pub(crate) fn encode(v: &Value, timestamps: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&from_json(v, false, timestamps), &mut out);
    out
}

fn from_json(v: &Value, as_time: bool, timestamps: &[&str]) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => {
            let c = if n.is_f64() {
                Cbor::Float(n.as_f64().unwrap_or_default())
            } else if let Some(i) = n.as_i64() {
                Cbor::Integer(i.into())
            } else {
                Cbor::Integer(n.as_u64().unwrap_or_default().into())
            };
            if as_time {
                Cbor::Tag(1, Box::new(c))
            } else {
                c
            }
        }
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(
            items
                .iter()
                .map(|i| from_json(i, as_time, timestamps))
                .collect(),
        ),
        Value::Object(m) => Cbor::Map(
            m.iter()
                .map(|(k, v)| {
                    let t = timestamps.contains(&k.as_str());
                    (Cbor::Text(k.clone()), from_json(v, t, timestamps))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_tags_timestamps() {
        let v = json!({"Timestamps": [1.5, 2], "Values": [1.0], "Id": "m0", "N": 3});
        let bytes = encode(&v, &["Timestamps"]);
        let back: Cbor = ciborium::de::from_reader(bytes.as_slice()).unwrap();
        let Cbor::Map(pairs) = back else { panic!() };
        let ts = pairs
            .iter()
            .find(|(k, _)| k == &Cbor::Text("Timestamps".into()))
            .unwrap();
        assert!(matches!(&ts.1, Cbor::Array(a) if matches!(a[0], Cbor::Tag(1, _))));
        assert_eq!(
            decode(&encode(&json!({"a": [1, "x"]}), &[])).unwrap(),
            json!({"a": [1, "x"]})
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b"\xff\xff"[..],
            b"\xa1\x01\x02",
            b"\x9f\x01",
            b"{\"json\":1}",
            b"\xbf",
        ] {
            assert!(decode(body).is_err(), "{body:?}");
        }
        // Deep nesting stops at the limit.
        let deep = vec![0x81u8; 10_000];
        assert!(decode(&deep).is_err());
    }
}
