//! Owns Service Quotas: `ListServiceQuotas(ServiceCode = sagemaker)` (applied values), merged
//! with `ListAWSDefaultServiceQuotas` for the quotas still at their default value, which
//! `ListServiceQuotas` leaves out; every page of 100 of each.

use aws_sdk_servicequotas::types::ServiceQuota as SdkQuota;

use super::AwsBackend;
use crate::boundary::{BackendResult, Operation};
use crate::domain::*;

/// Service code of SageMaker in Service Quotas.
pub const SAGEMAKER_SERVICE_CODE: &str = "sagemaker";

/// Largest page `ListServiceQuotas` / `ListAWSDefaultServiceQuotas` return.
const PAGE: i32 = 100;

/// Default values change rarely: read them again after this long.
const DEFAULTS_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

fn quota(q: &SdkQuota) -> Option<ServiceQuota> {
    // A quota without a value (ErrorReason set) says nothing useful.
    let (Some(name), Some(value)) = (q.quota_name(), q.value()) else {
        return None;
    };
    Some(ServiceQuota {
        name: name.to_string(),
        code: q.quota_code().unwrap_or_default().to_string(),
        value,
        unit: q.unit().unwrap_or("None").to_string(),
        adjustable: q.adjustable(),
    })
}

/// Applied values first; defaults only for quotas with no applied value (matched by code,
/// else by name).
pub(crate) fn merge_quotas(
    applied: Vec<ServiceQuota>,
    defaults: &[ServiceQuota],
) -> Vec<ServiceQuota> {
    let mut out = applied;
    for d in defaults {
        let known = out
            .iter()
            .any(|a| (!d.code.is_empty() && a.code == d.code) || a.name == d.name);
        if !known {
            out.push(d.clone());
        }
    }
    out
}

impl AwsBackend {
    /// Applied values, plus the defaults of the quotas that have none: "If the applied quota
    /// value is not available for a quota, the quota is not retrieved."
    /// https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html
    /// https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListAWSDefaultServiceQuotas.html
    pub(crate) async fn list_quotas_impl(&self) -> BackendResult<Vec<ServiceQuota>> {
        let applied = self.applied_quotas().await?;
        let defaults = self.default_quotas().await?;
        Ok(merge_quotas(applied, &defaults))
    }

    async fn applied_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
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
            out.extend(page.quotas().iter().filter_map(quota));
            if !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        Ok(out)
    }

    /// AWS's default values (cached for an hour).
    async fn default_quotas(&self) -> BackendResult<std::sync::Arc<Vec<ServiceQuota>>> {
        if let Some((at, d)) = &self.caches().default_quotas
            && at.elapsed() < DEFAULTS_TTL
        {
            return Ok(d.clone());
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .quotas
                .list_aws_default_service_quotas()
                .service_code(SAGEMAKER_SERVICE_CODE)
                .max_results(PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::ListAWSDefaultServiceQuotas, None, req.send())
                .await?;
            out.extend(page.quotas().iter().filter_map(quota));
            if !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        let out = std::sync::Arc::new(out);
        self.caches().default_quotas = Some((std::time::Instant::now(), out.clone()));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, code: &str, value: f64) -> ServiceQuota {
        ServiceQuota {
            name: name.into(),
            code: code.into(),
            value,
            unit: "None".into(),
            adjustable: true,
        }
    }

    #[test]
    fn applied_values_win_and_defaults_fill_the_rest() {
        let applied = vec![q("ml.g5.xlarge for endpoint usage", "L-1", 8.0)];
        let defaults = vec![
            q("ml.g5.xlarge for endpoint usage", "L-1", 2.0),
            q("ml.m5.large for endpoint usage", "L-2", 4.0),
        ];
        let got = merge_quotas(applied, &defaults);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].value, 8.0);
        assert_eq!((got[1].code.as_str(), got[1].value), ("L-2", 4.0));
    }
}
