//! Owns read-only mode at the boundary (`--read-only`, `read_only = true`): a layer that refuses
//! every write and every invocation with `BackendError::ReadOnly`, whatever the UI shows or
//! hides, and lets every read through.

use std::sync::Arc;

use async_trait::async_trait;

use super::layer::{Call, Layer, Layered};
use super::{Backend, BackendError, BackendResult};

/// Refuses writes and invocations (invocations against AWS endpoints are production traffic).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOnly;

#[async_trait]
impl Layer for ReadOnly {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        if call.is_read() {
            Ok(())
        } else {
            Err(BackendError::ReadOnly {
                operation: call.operation(),
            })
        }
    }
}

/// `inner` in read-only mode.
pub fn read_only<B: Backend + ?Sized>(inner: Arc<B>) -> Layered<ReadOnly, B> {
    ReadOnly.over(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::Operation;
    use crate::boundary::layer::tests::{Probe, call_every_method};

    #[tokio::test]
    async fn refuses_every_write_and_invocation_and_passes_every_read() {
        let probe = Arc::new(Probe::default());
        let b = read_only(probe.clone());
        let results = call_every_method(&b, "churn").await;
        assert_eq!(results.len(), 21, "every Backend method was called");
        for (method, op, result) in results {
            let refused = matches!(
                op,
                Operation::UpdateEndpointWeightsAndCapacities
                    | Operation::RegisterScalableTarget
                    | Operation::UpdateInferenceComponentRuntimeConfig
                    | Operation::UpdateEndpoint
                    | Operation::InvokeEndpoint
            );
            if refused {
                assert_eq!(
                    result,
                    Err(BackendError::ReadOnly { operation: op }),
                    "{method}"
                );
            } else {
                assert_eq!(result, Ok(()), "{method} passes");
            }
        }
        let reached = probe.calls();
        assert_eq!(reached.len(), 16, "reads reach the backend: {reached:?}");
        assert!(
            !reached
                .iter()
                .any(|m| m.contains("update") || m.contains("register") || *m == "invoke"),
            "{reached:?}"
        );
    }
}
