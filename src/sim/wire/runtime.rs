//! Owns the sagemaker-runtime REST face: `POST /endpoints/{name}/invocations`, the
//! `X-Amzn-SageMaker-Target-Variant` header in, `x-Amzn-Invoked-Production-Variant` out,
//! errors in AWS's JSON shape (ModelError with its original status for a model's 5XX),
//! answering through `Backend::invoke` after sleeping the modelled latency (scaled by demo
//! speed). Unsigned requests are served too, so plain HTTP load generators can drive it.
//! <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html>

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::{Ctx, MAX_BODY};
use crate::boundary::BackendError;
use crate::domain::InvokeRequest;

fn header_str(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(super) async fn handle(
    req: Request<Incoming>,
    ctx: &Ctx,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let endpoint = path
        .strip_prefix("/endpoints/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|name| !name.is_empty() && !name.contains('/'));
    let (Some(endpoint), true) = (endpoint, req.method() == Method::POST) else {
        ctx.count("sagemaker-runtime", "unknown", true);
        return aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("No operation matches {} {path}", req.method()),
            request_id,
        );
    };
    let endpoint = endpoint.to_string();
    let content_type =
        header_str(&req, "content-type").unwrap_or_else(|| "application/octet-stream".into());
    let accept = header_str(&req, "accept");
    let target_variant = header_str(&req, "x-amzn-sagemaker-target-variant");
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            ctx.count("sagemaker-runtime", "InvokeEndpoint", true);
            return aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ValidationError",
                "Request payload exceeds the 6 MB limit for real-time inference.",
                request_id,
            );
        }
    };
    let request = InvokeRequest {
        endpoint,
        body: body.to_vec(),
        content_type,
        accept,
        target_variant,
    };
    let result = ctx.runtime.invoke(&request).await;
    ctx.count("sagemaker-runtime", "InvokeEndpoint", result.is_err());
    match result {
        Ok(resp) => {
            // The model "runs" for its modelled latency, in simulated time.
            let wall = ctx.clock.wall_duration(resp.latency);
            if !wall.is_zero() {
                tokio::time::sleep(wall).await;
            }
            let mut r = reply(StatusCode::OK, Bytes::from(resp.body), request_id);
            let h = r.headers_mut();
            if let Some(ct) = resp
                .content_type
                .and_then(|c| HeaderValue::from_str(&c).ok())
            {
                h.insert(CONTENT_TYPE, ct);
            }
            if let Some(v) = resp
                .invoked_variant
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                h.insert("x-amzn-invoked-production-variant", v);
            }
            r
        }
        Err(e) => {
            let (status, code) = error_status(&e);
            aws_error(status, &code, &error_message(&e), request_id)
        }
    }
}

/// HTTP status and AWS error code of a failed `InvokeEndpoint`, as SageMaker answers them.
pub fn error_status(e: &BackendError) -> (StatusCode, String) {
    let s = |c: u16| StatusCode::from_u16(c).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        BackendError::NotFound { .. } | BackendError::Validation { .. } => {
            (s(400), "ValidationError".into())
        }
        BackendError::Throttled { .. } => (s(400), "ThrottlingException".into()),
        BackendError::AccessDenied { .. } | BackendError::ReadOnly { .. } => {
            (s(403), "AccessDeniedException".into())
        }
        BackendError::Credentials { .. } => (s(403), "UnrecognizedClientException".into()),
        BackendError::LimitExceeded { .. } => (s(400), "ValidationError".into()),
        BackendError::Timeout { .. } | BackendError::Network { .. } => {
            (s(503), "ServiceUnavailable".into())
        }
        BackendError::Service { code, .. } => match code.as_str() {
            "ModelError" => (s(424), code.clone()),
            "ModelNotReadyException" => (s(429), code.clone()),
            "ServiceUnavailable" => (s(503), code.clone()),
            "InternalDependencyException" => (s(530), code.clone()),
            _ => (s(500), code.clone()),
        },
    }
}

/// The message AWS would put in the error body (without sagetop's operation prefix).
fn error_message(e: &BackendError) -> String {
    match e {
        BackendError::NotFound { message, .. }
        | BackendError::Validation { message, .. }
        | BackendError::Throttled { message, .. }
        | BackendError::AccessDenied { message, .. }
        | BackendError::Credentials { message, .. }
        | BackendError::LimitExceeded { message, .. }
        | BackendError::Network { message, .. }
        | BackendError::Service { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn reply(status: StatusCode, body: Bytes, request_id: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Ok(id) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", id);
    }
    r
}

/// AWS's JSON error shape: `x-amzn-ErrorType` header and `{"__type", "message"}` body; a
/// ModelError also carries the model's own status and message.
fn aws_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut body = serde_json::json!({ "__type": code, "message": message });
    if code == "ModelError" {
        body["OriginalStatusCode"] = serde_json::json!(503);
        body["OriginalMessage"] = serde_json::json!(message);
    }
    let mut r = reply(status, Bytes::from(body.to_string()), request_id);
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(v) = HeaderValue::from_str(code) {
        h.insert("x-amzn-errortype", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::Operation;

    #[test]
    fn errors_answer_with_sagemakers_status_codes() {
        let op = Operation::InvokeEndpoint;
        let model = BackendError::Service {
            operation: op,
            code: "ModelError".into(),
            message: "boom".into(),
        };
        assert_eq!(
            error_status(&model),
            (StatusCode::FAILED_DEPENDENCY, "ModelError".into())
        );
        let missing = BackendError::NotFound {
            operation: op,
            resource: "x".into(),
            message: "Endpoint x of account 1 not found.".into(),
        };
        assert_eq!(error_status(&missing).0, StatusCode::BAD_REQUEST);
        assert_eq!(
            error_status(&BackendError::ReadOnly { operation: op }).0,
            StatusCode::FORBIDDEN
        );
    }
}
