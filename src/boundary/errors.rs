//! Owns how AWS's error answers map onto `BackendError`: the error codes each kind is known by,
//! the classification of a service error (code, message, HTTP status), and the timeouts the
//! SDK backend reports. Free of the SDK, so the SDK backend (`crate::aws`) and fault injection
//! (`crate::faults`) share it: an injected fault is exactly the error a real answer maps to.

use std::time::Duration;

use crate::boundary::{BackendError, Operation};

/// Timeout of one whole operation (all attempts) for the console's reads and writes.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// A model has 60 s to answer `InvokeEndpoint`; leave room for the network.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(75);

/// How long the SDK backend waits for `operation` before reporting a timeout.
pub fn operation_timeout(operation: Operation) -> Duration {
    if operation == Operation::InvokeEndpoint {
        INVOKE_TIMEOUT
    } else {
        OPERATION_TIMEOUT
    }
}

/// The error the SDK backend reports for a service error answer (code, message, HTTP status):
/// fault injection surfaces exactly what the real error would.
pub fn service_error(
    operation: Operation,
    profile: Option<&str>,
    resource: Option<&str>,
    code: &str,
    message: &str,
    status: u16,
) -> BackendError {
    let ctx = ErrorContext {
        operation,
        profile,
        resource,
        timeout_secs: operation_timeout(operation).as_secs(),
    };
    classify(ctx, Some(code), Some(message), status)
}

/// The error the SDK backend reports when `operation` gets no response in time.
pub fn timeout_error(operation: Operation) -> BackendError {
    BackendError::Timeout {
        operation,
        seconds: operation_timeout(operation).as_secs(),
    }
}

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
pub struct ErrorContext<'a> {
    pub operation: Operation,
    /// The profile in use, for the "run `aws sso login --profile P`" hint.
    pub profile: Option<&'a str>,
    /// The resource the call was about (endpoint name), for `NotFound`.
    pub resource: Option<&'a str>,
    /// The operation timeout, reported in `Timeout`.
    pub timeout_secs: u64,
}

/// Classifies a service error from its code, message and HTTP status.
pub fn classify(
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
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
    if matches!(
        code,
        "ValidationException"
            | "ValidationError"
            | "InvalidParameterValue"
            | "InvalidParameterException"
    ) {
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
