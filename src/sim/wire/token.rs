//! Owns paging tokens on the wire. AWS documents that a NextToken is only valid with the same
//! parameters as the call that returned it (e.g.
//! <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>:
//! "the token must be passed in with the same parameters that were specified in the original
//! call"), so each token carries a hash of the other request members and is refused otherwise.

use base64::Engine;
use serde_json::Value;

/// Members that may change between pages: the token itself and the page size (CloudWatch
/// Logs spells them `nextToken` and `limit`).
const PAGE_MEMBERS: &[&str] = &[
    "NextToken",
    "MaxResults",
    "MaxRecords",
    "nextToken",
    "limit",
];

/// A canonical hash of the request's members, token and page size left out.
pub(crate) fn params_hash(input: &Value) -> u64 {
    let mut h = Fnv::default();
    if let Value::Object(m) = input {
        let mut keys: Vec<&String> = m
            .keys()
            .filter(|k| !PAGE_MEMBERS.contains(&k.as_str()))
            .collect();
        keys.sort();
        for k in keys {
            h.write(k.as_bytes());
            h.write(b"=");
            canonical(&m[k.as_str()], &mut h);
            h.write(b";");
        }
    }
    h.0
}

fn canonical(v: &Value, h: &mut Fnv) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            h.write(b"{");
            for k in keys {
                h.write(k.as_bytes());
                h.write(b":");
                canonical(&m[k.as_str()], h);
                h.write(b",");
            }
            h.write(b"}");
        }
        Value::Array(items) => {
            h.write(b"[");
            for i in items {
                canonical(i, h);
                h.write(b",");
            }
            h.write(b"]");
        }
        Value::Number(n) => h.write(
            n.as_f64()
                .unwrap_or_default()
                .to_bits()
                .to_string()
                .as_bytes(),
        ),
        other => h.write(other.to_string().as_bytes()),
    }
}

#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xCBF2_9CE4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3);
        }
    }
}

/// An opaque token: where the next page starts, bound to the request's other parameters.
pub(crate) fn encode(cursor: &str, input: &Value) -> String {
    let raw = format!("{:016x}:{cursor}", params_hash(input));
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The cursor of `token` if it was issued for a request with these parameters.
pub(crate) fn decode(token: &str, input: &Value) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (hash, cursor) = raw.split_once(':')?;
    (u64::from_str_radix(hash, 16).ok()? == params_hash(input)).then(|| cursor.to_string())
}

/// The request's NextToken decoded to a cursor: `Ok(None)` without a token, `Err(())` when the
/// token is not one this server issued for these parameters.
pub(crate) fn cursor(input: &Value) -> Result<Option<String>, ()> {
    match input.get("NextToken") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => decode(t, input).map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

/// One page of `items` by offset: the request's NextToken (bound to its other parameters)
/// says where it starts; `max` items at most. `Err(())` for a token this server did not issue
/// for these parameters.
pub(crate) fn page<T>(
    items: Vec<T>,
    input: &Value,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ()> {
    let start = match cursor(input)? {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| ())?,
    };
    if start > items.len() {
        return Err(());
    }
    let end = start.saturating_add(max.max(1)).min(items.len());
    let next = (end < items.len()).then(|| encode(&end.to_string(), input));
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_only_works_with_the_same_parameters() {
        let first = json!({"StartTime": 10, "EndTime": 20, "MaxResults": 50});
        let t = encode("abc", &first);
        let same = json!({"EndTime": 20, "StartTime": 10, "MaxResults": 5, "NextToken": t});
        assert_eq!(cursor(&same), Ok(Some("abc".into())));
        let other = json!({"StartTime": 10, "NextToken": t});
        assert_eq!(cursor(&other), Err(()));
        assert_eq!(cursor(&json!({"NextToken": "garbage!"})), Err(()));
        assert_eq!(cursor(&json!({})), Ok(None));
    }
}
