//! Owns Service Quotas and STS on the wire. ListServiceQuotas returns only quotas whose applied
//! value differs from AWS's default ("If the applied quota value is not available for a quota,
//! the quota is not retrieved":
//! <https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html>);
//! ListAWSDefaultServiceQuotas returns every quota at its default
//! (<https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListAWSDefaultServiceQuotas.html>).
//! STS GetCallerIdentity answers the operator's session.

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::{bad_token, token};
use crate::sim::ids::{ACCOUNT, REGION};
use crate::sim::{OPERATOR_ARN, SimAccount};

pub(super) fn call(sim: &SimAccount, op: &str, input: &Value) -> Result<Value, WireError> {
    let service = input
        .get("ServiceCode")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let defaults = match op {
        "ListServiceQuotas" => false,
        "ListAWSDefaultServiceQuotas" => true,
        _ => return Err(WireError::new(400, "UnknownOperationException", op)),
    };
    let max = input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .unwrap_or(100) as usize;
    let code = input.get("QuotaCode").and_then(Value::as_str);
    let items: Vec<Value> = if service == "sagemaker" {
        sim.world()
            .quotas
            .iter()
            .filter(|q| defaults || q.limit != q.default)
            .filter(|q| code.is_none_or(|c| c == q.code))
            .map(|q| {
                json!({
                    "ServiceCode": "sagemaker",
                    "ServiceName": "Amazon SageMaker",
                    "QuotaArn": format!("arn:aws:servicequotas:{REGION}:{ACCOUNT}:sagemaker/{}", q.code),
                    "QuotaCode": q.code,
                    "QuotaName": q.name,
                    "Value": if defaults { q.default } else { q.limit },
                    "Unit": q.unit,
                    "Adjustable": true,
                    "GlobalQuota": false,
                    "QuotaAppliedAtLevel": "ACCOUNT",
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let (page, next) = token::page(items, input, max).map_err(|_| bad_token(Svc::Quotas))?;
    let mut out = json!({ "Quotas": page });
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
pub(super) fn caller_identity(account: &str) -> Result<Value, WireError> {
    Ok(json!({
        "UserId": "AROAYSIMULATEDROLE0001:you",
        "Account": account,
        "Arn": OPERATOR_ARN.replace(ACCOUNT, account),
    }))
}
