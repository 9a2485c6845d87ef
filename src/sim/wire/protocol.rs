//! Owns AWS's wire protocols on the one port: which service and operation a request is (SigV4
//! credential scope, `X-Amz-Target`, the rpcv2Cbor path, the awsQuery `Action`), decoding its
//! body into a JSON-like value, and encoding answers and errors in that protocol's shape:
//! awsJson (`{"__type", "message"}` + `x-amzn-ErrorType`), rpcv2Cbor (CBOR `__type`/`message`,
//! `smithy-protocol: rpc-v2-cbor`, `x-amzn-query-error` for CloudWatch's query-compatible codes)
//! and awsQuery (`<ErrorResponse>` XML).
//! <https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html>,
//! <https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html>,
//! <https://smithy.io/2.0/aws/protocols/aws-query-protocol.html>

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Map, Value};

use super::cbor;
use super::model::Svc;

/// CloudWatch's Smithy service name in rpcv2Cbor paths.
const CLOUDWATCH_SHAPE: &str = "GraniteServiceVersion20100801";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Json10,
    Json11,
    Cbor,
    Query,
}

/// An error answer: HTTP status, AWS error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl WireError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> WireError {
        WireError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// A constraint violation: ValidationException, or ValidationError for the services that
    /// answer with awsQuery codes (CloudWatch, STS).
    pub(crate) fn validation(svc: Svc, message: impl Into<String>) -> WireError {
        let code = if svc.query_codes() {
            "ValidationError"
        } else {
            "ValidationException"
        };
        WireError::new(400, code, message)
    }

    /// A body that cannot be read as the protocol's format, or a value of the wrong type.
    pub(crate) fn serialization(message: impl Into<String>) -> WireError {
        WireError::new(400, "SerializationException", message)
    }
}

/// What a request is, once its headers are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub svc: Svc,
    pub proto: Proto,
    pub op: String,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The service of the SigV4 credential scope
/// (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`). Signatures are not verified.
fn scope_service(h: &HeaderMap) -> Option<String> {
    let auth = header(h, "authorization")?;
    let cred = auth.split("Credential=").nth(1)?;
    let scope = cred.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    (parts.len() == 5 && parts[4] == "aws4_request").then(|| parts[3].to_string())
}

/// The protocol a request is written in, judged from its shape alone.
fn shape_proto(path: &str, h: &HeaderMap) -> Proto {
    if path.starts_with("/service/") {
        Proto::Cbor
    } else if let Some(t) = header(h, "x-amz-target") {
        if t.starts_with(CLOUDWATCH_SHAPE) {
            Proto::Json10
        } else {
            Proto::Json11
        }
    } else if header(h, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        Proto::Query
    } else {
        Proto::Json11
    }
}

fn unknown_operation(proto: Proto, what: &str) -> WireError {
    match proto {
        // smithy-rpc-v2: an unknown service/operation path is a 404.
        Proto::Cbor => WireError::new(
            404,
            "UnknownOperationException",
            format!("Unknown operation {what}"),
        ),
        Proto::Query => WireError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {what}"),
        ),
        _ => WireError::new(
            400,
            "UnknownOperationException",
            format!("Unknown operation {what}"),
        ),
    }
}

/// Service, protocol and operation of a control-plane request. `Err` carries the protocol to
/// answer in. `query_action` is the awsQuery `Action` (read from the body by the caller).
pub(crate) fn route(
    path: &str,
    h: &HeaderMap,
    query_action: Option<&str>,
) -> Result<Route, (Proto, WireError)> {
    let proto = shape_proto(path, h);
    let Some(scope) = scope_service(h) else {
        let e = match proto {
            Proto::Query => WireError::new(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ),
            _ => WireError::new(
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ),
        };
        return Err((proto, e));
    };
    let Some(svc) = Svc::from_signing_name(&scope) else {
        return Err((
            proto,
            unknown_operation(proto, &format!("for service {scope}")),
        ));
    };
    let model = svc.model();
    let op = match proto {
        Proto::Cbor => {
            let rest = path.strip_prefix("/service/").unwrap_or_default();
            let (service, op) = rest.split_once("/operation/").unwrap_or((rest, ""));
            if svc != Svc::CloudWatch || service != CLOUDWATCH_SHAPE {
                return Err((proto, unknown_operation(proto, path)));
            }
            if header(h, "smithy-protocol") != Some("rpc-v2-cbor") {
                return Err((
                    proto,
                    WireError::new(
                        400,
                        "SerializationException",
                        "rpcv2Cbor requests carry the header smithy-protocol: rpc-v2-cbor",
                    ),
                ));
            }
            op.to_string()
        }
        Proto::Json10 | Proto::Json11 => {
            let target = header(h, "x-amz-target").unwrap_or_default();
            let (prefix, op) = target.rsplit_once('.').unwrap_or(("", target));
            // botocore sends the model's full prefix; the Smithy-generated SDKs send the
            // service shape's name (`CloudTrail_20131101` for
            // `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`).
            let full = model.metadata.target_prefix.as_deref().unwrap_or_default();
            let short = full.rsplit('.').next().unwrap_or_default();
            if prefix.is_empty() || (prefix != full && prefix != short) {
                return Err((proto, unknown_operation(proto, target)));
            }
            op.to_string()
        }
        Proto::Query => {
            if svc != Svc::Sts {
                return Err((proto, unknown_operation(proto, query_action.unwrap_or(""))));
            }
            query_action.unwrap_or_default().to_string()
        }
    };
    if !model.operations.contains_key(&op) {
        let what = if proto == Proto::Query {
            format!("{op} for version {}", model.metadata.api_version)
        } else {
            op
        };
        return Err((proto, unknown_operation(proto, &what)));
    }
    // A service speaks the awsJson version of its model.
    let proto = match (proto, model.metadata.json_version.as_deref()) {
        (Proto::Json10 | Proto::Json11, Some("1.0")) => Proto::Json10,
        (Proto::Json10 | Proto::Json11, _) => Proto::Json11,
        (p, _) => p,
    };
    Ok(Route { svc, proto, op })
}

/// Decodes a form body (`a=1&b=x`) into its pairs.
pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(b) = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The request body as a value (an object for every protocol).
pub(crate) fn decode(proto: Proto, body: &[u8]) -> Result<Value, WireError> {
    let v = match proto {
        Proto::Json10 | Proto::Json11 => {
            if body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(body)
                    .map_err(|e| WireError::serialization(format!("Malformed JSON body: {e}")))?
            }
        }
        Proto::Cbor => cbor::decode(body).map_err(WireError::serialization)?,
        Proto::Query => Value::Object(
            form(body)
                .into_iter()
                .filter(|(k, _)| k != "Action" && k != "Version")
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    };
    if !v.is_object() {
        return Err(WireError::serialization(
            "The request body must be a structure",
        ));
    }
    Ok(v)
}

fn base(status: u16, body: Vec<u8>, request_id: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(id) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", id);
    }
    r
}

fn json_type(proto: Proto) -> &'static str {
    if proto == Proto::Json10 {
        "application/x-amz-json-1.0"
    } else {
        "application/x-amz-json-1.1"
    }
}

/// Members of outputs that are timestamps (written as CBOR tag 1).
const CBOR_TIMESTAMPS: &[&str] = &["Timestamps", "StateUpdatedTimestamp"];

/// A successful answer.
pub(crate) fn ok(route: &Route, out: &Value, request_id: &str) -> Response<Full<Bytes>> {
    let (body, ctype) = match route.proto {
        Proto::Json10 | Proto::Json11 => (out.to_string().into_bytes(), json_type(route.proto)),
        Proto::Cbor => (cbor::encode(out, CBOR_TIMESTAMPS), "application/cbor"),
        Proto::Query => (
            query_xml(&route.op, out, request_id).into_bytes(),
            "text/xml",
        ),
    };
    let mut r = base(200, body, request_id);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    if route.proto == Proto::Cbor {
        r.headers_mut()
            .insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    }
    r
}

/// An error answer in the protocol's shape. `svc` decides CloudWatch's query-compatible header.
pub(crate) fn error(
    proto: Proto,
    svc: Option<Svc>,
    e: &WireError,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "__type": e.code, "message": e.message });
    let mut r = match proto {
        Proto::Json10 | Proto::Json11 => {
            let mut r = base(e.status, body.to_string().into_bytes(), request_id);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(json_type(proto)));
            r
        }
        Proto::Cbor => {
            let mut r = base(e.status, cbor::encode(&body, &[]), request_id);
            let h = r.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/cbor"));
            h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
            r
        }
        Proto::Query => {
            let kind = if e.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            };
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                xml_escape(&e.code),
                xml_escape(&e.message),
                xml_escape(request_id)
            );
            let mut r = base(e.status, xml.into_bytes(), request_id);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
            r
        }
    };
    if let Ok(v) = HeaderValue::from_str(&e.code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    // CloudWatch is @awsQueryCompatible: clients read the query error code from this header.
    if svc == Some(Svc::CloudWatch) && proto != Proto::Query {
        let kind = if e.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        };
        if let Ok(v) = HeaderValue::from_str(&format!("{};{kind}", e.code)) {
            r.headers_mut().insert("x-amzn-query-error", v);
        }
    }
    r
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `<OpResponse><OpResult><Member>value</Member>…</OpResult><ResponseMetadata>…` for a flat
/// output (GetCallerIdentity).
fn query_xml(op: &str, out: &Value, request_id: &str) -> String {
    let mut members = String::new();
    if let Value::Object(m) = out {
        for (k, v) in m {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            members.push_str(&format!("<{k}>{}</{k}>", xml_escape(&text)));
        }
    }
    format!(
        "<{op}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{op}Result>{members}</{op}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
        xml_escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/SVC/aws4_request, SignedHeaders=host, Signature=00";

    fn auth(svc: &str) -> String {
        AUTH.replace("SVC", svc)
    }

    #[test]
    fn services_are_told_apart_by_scope_and_target() {
        let a = auth("sagemaker");
        let h = headers(&[
            ("authorization", &a),
            ("x-amz-target", "SageMaker.DescribeEndpoint"),
        ]);
        let r = route("/", &h, None).unwrap();
        assert_eq!(
            (r.svc, r.proto, r.op.as_str()),
            (Svc::SageMaker, Proto::Json11, "DescribeEndpoint")
        );
        let a = auth("monitoring");
        let h = headers(&[("authorization", &a), ("smithy-protocol", "rpc-v2-cbor")]);
        let r = route(
            "/service/GraniteServiceVersion20100801/operation/GetMetricData",
            &h,
            None,
        )
        .unwrap();
        assert_eq!((r.svc, r.proto), (Svc::CloudWatch, Proto::Cbor));
        let h = headers(&[
            ("authorization", &a),
            (
                "x-amz-target",
                "GraniteServiceVersion20100801.GetMetricData",
            ),
        ]);
        assert_eq!(route("/", &h, None).unwrap().proto, Proto::Json10);
        let a = auth("sts");
        let h = headers(&[
            ("authorization", &a),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        assert_eq!(
            route("/", &h, Some("GetCallerIdentity")).unwrap().svc,
            Svc::Sts
        );
    }

    #[test]
    fn unknown_operations_and_missing_auth_are_errors() {
        let h = headers(&[("x-amz-target", "SageMaker.DescribeEndpoint")]);
        let (_, e) = route("/", &h, None).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str()),
            (403, "MissingAuthenticationTokenException")
        );
        let a = auth("sagemaker");
        let h = headers(&[
            ("authorization", &a),
            ("x-amz-target", "SageMaker.DeleteEverything"),
        ]);
        assert_eq!(
            route("/", &h, None).unwrap_err().1.code,
            "UnknownOperationException"
        );
        let h = headers(&[
            ("authorization", &a),
            (
                "x-amz-target",
                "AnyScaleFrontendService.DescribeScalableTargets",
            ),
        ]);
        assert_eq!(
            route("/", &h, None).unwrap_err().1.code,
            "UnknownOperationException"
        );
        let a = auth("sts");
        let h = headers(&[
            ("authorization", &a),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        assert_eq!(
            route("/", &h, Some("AssumeRole")).unwrap_err().1.code,
            "InvalidAction"
        );
    }

    #[test]
    fn bodies_decode_or_fail_as_serialization_errors() {
        assert_eq!(decode(Proto::Json11, b"").unwrap(), serde_json::json!({}));
        assert_eq!(
            decode(Proto::Json11, b"{nope").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            decode(Proto::Json11, b"[1]").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            decode(Proto::Cbor, b"\xff").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            form(b"Action=GetCallerIdentity&Version=2011-06-15&X=a%20b+c"),
            vec![
                ("Action".to_string(), "GetCallerIdentity".to_string()),
                ("Version".to_string(), "2011-06-15".to_string()),
                ("X".to_string(), "a b c".to_string()),
            ]
        );
    }
}
