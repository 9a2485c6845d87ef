//! CloudTrail reads the test rigs share: what the operator actually sent to an endpoint.

use sagetop::boundary::Backend;
use sagetop::domain::*;

/// Every `UpdateEndpointWeightsAndCapacities` the operator made to `endpoint` since `since`
/// (failed calls included), read page by page from the account's CloudTrail.
pub async fn operator_updates(
    account: &dyn Backend,
    endpoint: &str,
    since: Timestamp,
) -> Vec<TrailEvent> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let q = EventQuery {
            resource: Some(endpoint.to_string()),
            start: Some(since),
            next_token: token,
            max_results: 50,
            ..Default::default()
        };
        let page = account.lookup_events(&q).await.expect("lookup");
        out.extend(page.events.into_iter().filter(|e| {
            e.name == "UpdateEndpointWeightsAndCapacities" && e.principal.contains("OnCallEngineer")
        }));
        match page.next_token {
            Some(t) => token = Some(t),
            None => return out,
        }
    }
}
