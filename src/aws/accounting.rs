//! Owns the SDK interceptor that counts every request attempt sent to AWS in `ApiAccounting`:
//! the operation (from the SDK's operation metadata), and whether the attempt was throttled
//! (the SDK's own retry classifiers decide, as its retry does) or failed. Registered on every
//! client sagetop builds, so `:api` shows pages, DescribeEndpointConfig after DescribeEndpoint,
//! and the throttles the SDK retried by itself.

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryReason,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::ErrorKind;

use crate::boundary::Operation;
use crate::boundary::api_stats::{ApiAccounting, AttemptOutcome};

/// Counts each attempt of each operation in the shared accounting.
#[derive(Debug, Clone)]
pub(crate) struct AttemptCounter {
    pub stats: Arc<ApiAccounting>,
}

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "SagetopAttemptCounter"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(op) = cfg
            .load::<Metadata>()
            .and_then(|m| Operation::parse(m.name()))
        else {
            return Ok(());
        };
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => AttemptOutcome::Ok,
            None => AttemptOutcome::Failed,
            Some(Err(_)) => {
                let status_429 = context
                    .response()
                    .is_some_and(|r| r.status().as_u16() == 429);
                let throttled = status_429
                    || runtime_components.retry_classifiers().any(|c| {
                        matches!(
                            c.classify_retry(context.inner()),
                            RetryAction::RetryIndicated(RetryReason::RetryableError {
                                kind: ErrorKind::ThrottlingError,
                                ..
                            })
                        )
                    });
                if throttled {
                    AttemptOutcome::Throttled
                } else {
                    AttemptOutcome::Failed
                }
            }
        };
        self.stats.attempt(op, outcome);
        Ok(())
    }
}
