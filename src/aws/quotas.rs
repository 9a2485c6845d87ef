//! Owns Service Quotas: `ListServiceQuotas(ServiceCode = sagemaker)`, every page of 100.

use super::AwsBackend;
use crate::boundary::{BackendResult, Operation};
use crate::domain::*;

/// Service code of SageMaker in Service Quotas.
pub const SAGEMAKER_SERVICE_CODE: &str = "sagemaker";

/// Largest page `ListServiceQuotas` returns.
const PAGE: i32 = 100;

impl AwsBackend {
    pub(crate) async fn list_quotas_impl(&self) -> BackendResult<Vec<ServiceQuota>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .quotas
                .list_service_quotas()
                .service_code(SAGEMAKER_SERVICE_CODE)
                .max_results(PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::ListServiceQuotas, None, req.send())
                .await?;
            for q in page.quotas() {
                // A quota without a value (ErrorReason set) says nothing useful.
                let (Some(name), Some(value)) = (q.quota_name(), q.value()) else {
                    continue;
                };
                out.push(ServiceQuota {
                    name: name.to_string(),
                    code: q.quota_code().unwrap_or_default().to_string(),
                    value,
                    unit: q.unit().unwrap_or("None").to_string(),
                    adjustable: q.adjustable(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() && token.as_deref() != Some(t) => {
                    token = Some(t.to_string())
                }
                _ => break,
            }
        }
        Ok(out)
    }
}
