//! Owns how a load run reads AWS errors off the wire: the error code from the
//! `x-amzn-ErrorType` header or the JSON body (`__type` / `code`), its message, and which
//! `ErrorKind` each InvokeEndpoint error code counts as.
//!
//! restJson1 errors: https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization
//! InvokeEndpoint errors (ModelError 424, ThrottlingException 400/429, ValidationError 400,
//! ModelNotReadyException 429, ServiceUnavailable 503, InternalFailure 500, InternalDependencyException 530):
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors

use super::stats::ErrorKind;

/// The code without a namespace (`aws.protocols#Throttling` → `Throttling`) or a URI suffix
/// (`ThrottlingException:http://internal.amazon.com/` → `ThrottlingException`).
fn sanitize(code: &str) -> String {
    let code = code.split(':').next().unwrap_or(code);
    let code = code.rsplit('#').next().unwrap_or(code);
    code.trim().to_string()
}

/// The error code (header first, then body) and message of an AWS error answer.
pub fn aws_error(header: Option<&[u8]>, body: &[u8]) -> (Option<String>, Option<String>) {
    let from_header = header
        .and_then(|h| std::str::from_utf8(h).ok())
        .map(sanitize)
        .filter(|c| !c.is_empty());
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |names: &[&str]| {
        let obj = json.as_ref()?.as_object()?;
        names
            .iter()
            .find_map(|n| obj.get(*n).and_then(|v| v.as_str()).map(str::to_string))
    };
    let code = from_header.or_else(|| field(&["__type", "code", "Code"]).map(|c| sanitize(&c)));
    let mut message = field(&["message", "Message", "errorMessage"]);
    // ModelError carries the container's own answer.
    if let (Some(status), Some(original)) = (
        json.as_ref()
            .and_then(|j| j.get("OriginalStatusCode"))
            .and_then(|v| v.as_u64()),
        field(&["OriginalMessage"]),
    ) {
        message = Some(format!(
            "{} (container answered {status}: {original})",
            message.unwrap_or_default()
        ));
    }
    (code.filter(|c| !c.is_empty()), message)
}

/// What an InvokeEndpoint error code counts as.
pub fn classify_code(code: &str, status: u16) -> ErrorKind {
    match code {
        "ThrottlingException" | "Throttling" | "ModelNotReadyException" => ErrorKind::Throttled,
        "ModelError" | "ModelStreamError" => ErrorKind::ModelError,
        "ServiceUnavailable"
        | "InternalFailure"
        | "InternalDependencyException"
        | "InternalStreamFailure" => ErrorKind::Server5xx,
        _ => super::target::classify_status(status, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_header_or_the_body() {
        assert_eq!(
            aws_error(
                Some(b"ThrottlingException:http://internal.amazon.com/"),
                b""
            ),
            (Some("ThrottlingException".into()), None)
        );
        let body = br#"{"__type":"com.amazon.sagemaker#ValidationError","message":"bad variant"}"#;
        assert_eq!(
            aws_error(None, body),
            (Some("ValidationError".into()), Some("bad variant".into()))
        );
        let model = br#"{"code":"ModelError","Message":"boom","OriginalStatusCode":500,"OriginalMessage":"oops"}"#;
        let (code, msg) = aws_error(None, model);
        assert_eq!(code.as_deref(), Some("ModelError"));
        assert!(msg.unwrap().contains("container answered 500: oops"));
        assert_eq!(aws_error(None, b"not json"), (None, None));
        assert_eq!(classify_code("ModelError", 424), ErrorKind::ModelError);
        assert_eq!(classify_code("ValidationError", 400), ErrorKind::Client4xx);
        assert_eq!(
            classify_code("ThrottlingException", 400),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify_code("ServiceUnavailable", 503),
            ErrorKind::Server5xx
        );
    }
}
