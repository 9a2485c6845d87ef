//! Owns the mapping of AWS SDK errors onto `BackendError`, from the error code and message
//! the SDK parsed (`ProvideErrorMetadata`), the HTTP status and the error's source chain; the
//! classification of a service error itself is the boundary's (`crate::boundary::errors`).

use std::error::Error as StdError;

use aws_credential_types::provider::error::{CredentialsError, TokenError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::boundary::BackendError;
pub(crate) use crate::boundary::errors::{ErrorContext, classify};

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
        return BackendError::Credentials {
            operation: ctx.operation,
            message,
            profile: ctx.profile.map(str::to_string),
        };
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
