//! Owns the mapping of AWS SDK errors onto `BackendError`, from the error code and message
//! the SDK parsed (`ProvideErrorMetadata`), the HTTP status and the error's source chain.

use std::error::Error as StdError;

use aws_credential_types::provider::error::{CredentialsError, TokenError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::boundary::{BackendError, Operation};

/// Error codes AWS uses for throttling across the services sagetop calls.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes that mean the credentials themselves are bad, expired or unknown.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidAccessKeyId",
    "AuthFailure",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "NotAuthorized",
    "UnauthorizedOperation",
    "AuthorizationError",
];

const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFound",
    "ResourceNotFoundException",
    "ObjectNotFoundException",
    "NoSuchResourceException",
];

const LIMIT_CODES: &[&str] = &[
    "ResourceLimitExceeded",
    "LimitExceededException",
    "ServiceQuotaExceededException",
];

/// What the error mapping needs to know about the call besides the error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorContext<'a> {
    pub operation: Operation,
    /// The profile in use, for the "run `aws sso login --profile P`" hint.
    pub profile: Option<&'a str>,
    /// The resource the call was about (endpoint name), for `NotFound`.
    pub resource: Option<&'a str>,
    /// The operation timeout, reported in `Timeout`.
    pub timeout_secs: u64,
}

/// Maps any SDK error onto our error type.
pub(crate) fn map_sdk_error<E>(
    ctx: ErrorContext<'_>,
    err: SdkError<E, HttpResponse>,
) -> BackendError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let op = ctx.operation;
    // A credentials provider that failed (no credentials, SSO session expired, …) is reported
    // inside a dispatch or construction failure; find it in the source chain.
    if let Some(message) = credentials_failure(&err) {
        return credentials(ctx, message);
    }
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            classify(ctx, e.code(), e.message(), status)
        }
        SdkError::TimeoutError(_) => BackendError::Timeout {
            operation: op,
            seconds: ctx.timeout_secs,
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => BackendError::Timeout {
            operation: op,
            seconds: ctx.timeout_secs,
        },
        SdkError::DispatchFailure(_) => BackendError::Network {
            operation: op,
            message: chain_message(&err),
        },
        SdkError::ResponseError(r) => {
            // A response we could not parse: an emulator's HTML error page, a proxy, …
            let status = r.raw().status().as_u16();
            let code = format!("HTTP {status}");
            if status == 429 {
                return BackendError::Throttled {
                    operation: op,
                    message: code,
                };
            }
            BackendError::Service {
                operation: op,
                code,
                message: "unexpected response from the service".into(),
            }
        }
        SdkError::ConstructionFailure(_) => BackendError::Validation {
            operation: op,
            message: chain_message(&err),
        },
        _ => BackendError::Service {
            operation: op,
            code: "Unknown".into(),
            message: chain_message(&err),
        },
    }
}

/// Classifies a service error from its code, message and HTTP status.
pub(crate) fn classify(
    ctx: ErrorContext<'_>,
    code: Option<&str>,
    message: Option<&str>,
    status: u16,
) -> BackendError {
    let op = ctx.operation;
    let message = message.unwrap_or_default().to_string();
    let code = code.unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    if CREDENTIAL_CODES.contains(&code) {
        return credentials(
            ctx,
            if message.is_empty() {
                code.to_string()
            } else {
                message
            },
        );
    }
    if THROTTLING_CODES.contains(&code) || status == 429 || lower.contains("rate exceeded") {
        return BackendError::Throttled {
            operation: op,
            message: or_code(message, code),
        };
    }
    if ACCESS_DENIED_CODES.contains(&code) {
        return BackendError::AccessDenied {
            operation: op,
            message: or_code(message, code),
        };
    }
    let not_found_text = lower.contains("could not find")
        || lower.contains("not found")
        || lower.contains("does not exist");
    if NOT_FOUND_CODES.contains(&code) || (code == "ValidationException" && not_found_text) {
        let resource = ctx.resource.unwrap_or("the resource").to_string();
        return BackendError::NotFound {
            operation: op,
            resource,
            message: or_code(message, code),
        };
    }
    if LIMIT_CODES.contains(&code) {
        return BackendError::LimitExceeded {
            operation: op,
            message: or_code(message, code),
        };
    }
    // A refused page token is the caller's mistake (parameters changed, token expired):
    // not worth retrying as it is. https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
    if code.starts_with("InvalidNextToken") {
        return BackendError::Validation {
            operation: op,
            message: format!("{code}: {}", or_code(message, code)),
        };
    }
    // CloudWatch Logs answers a bad filter pattern or parameter with InvalidParameterException.
    if code == "ValidationException"
        || code == "ValidationError"
        || code == "InvalidParameterValue"
        || code == "InvalidParameterException"
    {
        return BackendError::Validation {
            operation: op,
            message: or_code(message, code),
        };
    }
    if status == 403 && code.is_empty() {
        return BackendError::AccessDenied {
            operation: op,
            message: or_code(message, "HTTP 403"),
        };
    }
    let code = if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code.to_string()
    };
    let message = if message.is_empty() {
        "no message".into()
    } else {
        message
    };
    BackendError::Service {
        operation: op,
        code,
        message,
    }
}

fn credentials(ctx: ErrorContext<'_>, message: String) -> BackendError {
    BackendError::Credentials {
        operation: ctx.operation,
        message,
        profile: ctx.profile.map(str::to_string),
    }
}

fn or_code(message: String, code: &str) -> String {
    if message.is_empty() {
        code.to_string()
    } else {
        message
    }
}

/// The message of a credentials or token provider failure anywhere in the source chain.
pub(crate) fn credentials_failure(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(chain_message(c));
        }
        if let Some(t) = e.downcast_ref::<TokenError>() {
            return Some(chain_message(t));
        }
        cur = e.source();
    }
    None
}

/// The whole source chain as one line ("dispatch failure: io error: connection refused"),
/// without the Debug dumps `DisplayErrorContext` adds.
pub(crate) fn chain_message(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(op: Operation) -> ErrorContext<'static> {
        ErrorContext {
            operation: op,
            profile: Some("prod"),
            resource: Some("fraud-xgb"),
            timeout_secs: 30,
        }
    }

    #[test]
    fn codes_map_to_kinds() {
        let c = ctx(Operation::DescribeEndpoint);
        assert!(matches!(
            classify(c, Some("ThrottlingException"), Some("Rate exceeded"), 400),
            BackendError::Throttled { .. }
        ));
        assert!(matches!(
            classify(c, None, Some("Rate exceeded"), 400),
            BackendError::Throttled { .. }
        ));
        assert!(matches!(
            classify(c, Some("Whatever"), None, 429),
            BackendError::Throttled { .. }
        ));
        assert!(matches!(
            classify(c, Some("TooManyRequestsException"), None, 400),
            BackendError::Throttled { .. }
        ));
        assert!(matches!(
            classify(c, Some("AccessDeniedException"), Some("no"), 400),
            BackendError::AccessDenied {
                operation: Operation::DescribeEndpoint,
                ..
            }
        ));
        match classify(
            c,
            Some("ExpiredTokenException"),
            Some("The security token included in the request is expired"),
            400,
        ) {
            BackendError::Credentials {
                profile, message, ..
            } => {
                assert_eq!(profile.as_deref(), Some("prod"));
                assert!(message.contains("expired"));
            }
            other => panic!("{other:?}"),
        }
        match classify(
            c,
            Some("ValidationException"),
            Some("Could not find endpoint \"fraud-xgb\"."),
            400,
        ) {
            BackendError::NotFound { resource, .. } => assert_eq!(resource, "fraud-xgb"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(c, Some("ValidationException"), Some("bad weight"), 400),
            BackendError::Validation { .. }
        ));
        assert!(matches!(
            classify(c, Some("ResourceLimitExceeded"), Some("quota"), 400),
            BackendError::LimitExceeded { .. }
        ));
        match classify(c, Some("InternalFailure"), None, 500) {
            BackendError::Service { code, message, .. } => {
                assert_eq!(code, "InternalFailure");
                assert_eq!(message, "no message");
            }
            other => panic!("{other:?}"),
        }
        match classify(c, None, None, 502) {
            BackendError::Service { code, .. } => assert_eq!(code, "HTTP 502"),
            other => panic!("{other:?}"),
        }
    }
}
