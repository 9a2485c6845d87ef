//! AWS's contracts on the simulated account's wire server: raw requests that break the
//! published service models or the documented rules get AWS's status and error code, the
//! rpcv2Cbor GetMetricData follows CloudWatch's rules, and bad input never panics.

use crate::wire_rig;

use sagetop::domain::*;
use serde_json::{Value, json};
use wire_rig::{Rig, raw};

const FRAUD: &str = "fraud-detection-xgb";
const CHURN: &str = "churn-predictor";

fn fixture_now(rig: &Rig) -> Timestamp {
    use sagetop::clock::Clock;
    rig.clock.now()
}

fn cbor_body(v: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn cbor_reply(body: &[u8]) -> ciborium::Value {
    ciborium::de::from_reader(body).unwrap()
}

fn cbor_get<'a>(v: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    v.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_contracts_get_awss_400_and_code() {
    let rig = Rig::new(0, None).await;
    let now = fixture_now(&rig).timestamp();

    // The model: a missing required member, a value over its length, a bad enum value.
    let r = rig
        .json("sagemaker", "SageMaker.DescribeEndpoint", "{}")
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("'endpointName' failed to satisfy constraint: Member must not be null")
    );
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.ListEndpoints",
            r#"{"SortBy":"Size"}"#,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.ListEndpoints",
            r#"{"MaxResults":"ten"}"#,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "SerializationException")
    );

    // One LookupEvents attribute per call.
    let two = json!({"LookupAttributes": [
        {"AttributeKey": "EventSource", "AttributeValue": "sagemaker.amazonaws.com"},
        {"AttributeKey": "ReadOnly", "AttributeValue": "false"}]});
    let r = rig
        .json(
            "cloudtrail",
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            &two.to_string(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidLookupAttributesException")
    );

    // NextToken only with the parameters of the call that returned it (here: EndTime dropped).
    let ct = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
    let first = json!({"StartTime": now - 86_400, "EndTime": now, "MaxResults": 5});
    let r = rig.json("cloudtrail", ct, &first.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["NextToken"].as_str().unwrap().to_string();
    let same =
        json!({"StartTime": now - 86_400, "EndTime": now, "MaxResults": 5, "NextToken": token});
    assert_eq!(
        rig.json("cloudtrail", ct, &same.to_string()).await.status,
        200
    );
    let changed = json!({"StartTime": now - 86_400, "MaxResults": 5, "NextToken": token});
    let r = rig.json("cloudtrail", ct, &changed.to_string()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidNextTokenException")
    );

    // ReadOnly=false finds the writes; sagetop's own reads are recorded as reads.
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.DescribeEndpoint",
            &json!({"EndpointName": FRAUD}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200);
    let reads = json!({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "true"}], "MaxResults": 5});
    let r = rig.json("cloudtrail", ct, &reads.to_string()).await;
    let newest = &r.json()["Events"][0];
    assert_eq!(newest["EventName"], "DescribeEndpoint");
    assert_eq!(newest["Username"], "you");
    let writes = json!({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}], "MaxResults": 50});
    let r = rig.json("cloudtrail", ct, &writes.to_string()).await;
    let events = r.json()["Events"].as_array().unwrap().clone();
    assert!(!events.is_empty() && events.iter().all(|e| e["ReadOnly"] == "false"));

    // DescribeScalingPolicies: MaxResults 1–10; DescribeScalableTargets: 1–50.
    let r = rig
        .json(
            "application-autoscaling",
            "AnyScaleFrontendService.DescribeScalingPolicies",
            r#"{"ServiceNamespace":"sagemaker","MaxResults":50}"#,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
    let r = rig
        .json(
            "application-autoscaling",
            "AnyScaleFrontendService.DescribeScalingPolicies",
            r#"{"ServiceNamespace":"sagemaker","MaxResults":10}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = rig
        .json(
            "application-autoscaling",
            "AnyScaleFrontendService.DescribeScalableTargets",
            r#"{"ServiceNamespace":"sagemaker","MaxResults":51}"#,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));

    // Capacity of one variant per call; weights of several are fine.
    let two_counts = json!({"EndpointName": CHURN, "DesiredWeightsAndCapacities": [
        {"VariantName": "VariantA", "DesiredWeight": 1.0, "DesiredInstanceCount": 2},
        {"VariantName": "VariantB", "DesiredWeight": 3.0, "DesiredInstanceCount": 2}]});
    let up = "SageMaker.UpdateEndpointWeightsAndCapacities";
    let r = rig.json("sagemaker", up, &two_counts.to_string()).await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
    let weights = json!({"EndpointName": CHURN, "DesiredWeightsAndCapacities": [
        {"VariantName": "VariantA", "DesiredWeight": 1.0}, {"VariantName": "VariantB", "DesiredWeight": 3.0}]});
    let r = rig.json("sagemaker", up, &weights.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A non-InService endpoint refuses updates.
    let r = rig.json("sagemaker", up, &weights.to_string()).await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
    assert!(
        r.text().contains("Cannot update in-progress endpoint"),
        "{}",
        r.text()
    );

    // ListServiceQuotas leaves out quotas at their default; the defaults list has them all.
    let sq = |op: &str| format!("ServiceQuotasV20190624.{op}");
    let applied = rig
        .json(
            "servicequotas",
            &sq("ListServiceQuotas"),
            r#"{"ServiceCode":"sagemaker"}"#,
        )
        .await
        .json();
    let defaults = rig
        .json(
            "servicequotas",
            &sq("ListAWSDefaultServiceQuotas"),
            r#"{"ServiceCode":"sagemaker"}"#,
        )
        .await
        .json();
    let (a, d) = (
        applied["Quotas"].as_array().unwrap(),
        defaults["Quotas"].as_array().unwrap(),
    );
    assert!(
        !a.is_empty() && a.len() < d.len(),
        "{} applied of {}",
        a.len(),
        d.len()
    );
    for q in a {
        let def = d.iter().find(|x| x["QuotaCode"] == q["QuotaCode"]).unwrap();
        assert_ne!(
            def["Value"], q["Value"],
            "an applied quota differs from its default"
        );
    }

    // SageMaker's paged lists refuse a token used with other parameters.
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.ListEndpoints",
            r#"{"MaxResults":3}"#,
        )
        .await;
    let t = r.json()["NextToken"].as_str().unwrap().to_string();
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.ListEndpoints",
            &json!({"MaxResults": 3, "SortBy": "Name", "NextToken": t}).to_string(),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metric_data_over_cbor_follows_cloudwatchs_rules() {
    use ciborium::Value as C;
    let rig = Rig::new(0, None).await;
    let now = fixture_now(&rig).timestamp();
    let query = |id: &str, metric: &str| {
        C::Map(vec![
            (C::Text("Id".into()), C::Text(id.into())),
            (
                C::Text("MetricStat".into()),
                C::Map(vec![
                    (
                        C::Text("Metric".into()),
                        C::Map(vec![
                            (C::Text("Namespace".into()), C::Text("AWS/SageMaker".into())),
                            (C::Text("MetricName".into()), C::Text(metric.into())),
                            (
                                C::Text("Dimensions".into()),
                                C::Array(vec![
                                    C::Map(vec![
                                        (C::Text("Name".into()), C::Text("EndpointName".into())),
                                        (C::Text("Value".into()), C::Text(FRAUD.into())),
                                    ]),
                                    C::Map(vec![
                                        (C::Text("Name".into()), C::Text("VariantName".into())),
                                        (C::Text("Value".into()), C::Text("AllTraffic".into())),
                                    ]),
                                ]),
                            ),
                        ]),
                    ),
                    (C::Text("Period".into()), C::Integer(60.into())),
                    (C::Text("Stat".into()), C::Text("Sum".into())),
                ]),
            ),
        ])
    };
    let request = |queries: Vec<C>, extra: Vec<(C, C)>| {
        let mut m = vec![
            (C::Text("MetricDataQueries".into()), C::Array(queries)),
            (
                C::Text("StartTime".into()),
                C::Tag(1, Box::new(C::Float((now - 3 * 3600) as f64))),
            ),
            (
                C::Text("EndTime".into()),
                C::Tag(1, Box::new(C::Float(now as f64))),
            ),
        ];
        m.extend(extra);
        cbor_body(&C::Map(m))
    };
    let r = rig
        .cbor(
            "GetMetricData",
            &request(vec![query("m0", "Invocations")], vec![]),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("smithy-protocol"), Some("rpc-v2-cbor"));
    let v = cbor_reply(&r.body);
    let results = cbor_get(&v, "MetricDataResults")
        .unwrap()
        .as_array()
        .unwrap();
    let ts = cbor_get(&results[0], "Timestamps")
        .unwrap()
        .as_array()
        .unwrap();
    assert!(ts.len() > 100);
    assert!(matches!(ts[0], C::Tag(1, _)), "timestamps are CBOR tag 1");
    assert_eq!(
        cbor_get(&results[0], "StatusCode").unwrap().as_text(),
        Some("Complete")
    );

    // MaxDatapoints pages: PartialData and a NextToken bound to the request.
    let r = rig
        .cbor(
            "GetMetricData",
            &request(
                vec![query("m0", "Invocations")],
                vec![(C::Text("MaxDatapoints".into()), C::Integer(10.into()))],
            ),
        )
        .await;
    let v = cbor_reply(&r.body);
    let res = &cbor_get(&v, "MetricDataResults")
        .unwrap()
        .as_array()
        .unwrap()[0];
    assert_eq!(
        cbor_get(res, "StatusCode").unwrap().as_text(),
        Some("PartialData")
    );
    assert_eq!(
        cbor_get(res, "Values").unwrap().as_array().unwrap().len(),
        10
    );
    let token = cbor_get(&v, "NextToken")
        .unwrap()
        .as_text()
        .unwrap()
        .to_string();
    let other = request(
        vec![query("m1", "Invocations")],
        vec![
            (C::Text("MaxDatapoints".into()), C::Integer(10.into())),
            (C::Text("NextToken".into()), C::Text(token)),
        ],
    );
    let r = rig.cbor("GetMetricData", &other).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        cbor_get(&cbor_reply(&r.body), "__type").unwrap().as_text(),
        Some("InvalidNextToken")
    );

    // Query ids match ^[a-z][a-zA-Z0-9_]*$; at most 500 queries.
    let r = rig
        .cbor(
            "GetMetricData",
            &request(vec![query("M0", "Invocations")], vec![]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        cbor_get(&cbor_reply(&r.body), "__type").unwrap().as_text(),
        Some("ValidationError")
    );
    assert_eq!(
        r.header("x-amzn-query-error"),
        Some("ValidationError;Sender")
    );
    let many: Vec<C> = (0..501)
        .map(|i| query(&format!("m{i}"), "Invocations"))
        .collect();
    let r = rig.cbor("GetMetricData", &request(many, vec![])).await;
    assert_eq!(r.status, 400);
    // A failing series answers with its own StatusCode; the others are Complete.
    rig.sim
        .set_series_fault(FRAUD, MetricName::Invocations, Some("Forbidden"));
    let r = rig
        .cbor(
            "GetMetricData",
            &request(
                vec![
                    query("m0", "Invocations"),
                    query("m1", "Invocation5XXErrors"),
                ],
                vec![],
            ),
        )
        .await;
    let v = cbor_reply(&r.body);
    let results = cbor_get(&v, "MetricDataResults")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(
        cbor_get(&results[0], "StatusCode").unwrap().as_text(),
        Some("Forbidden")
    );
    assert!(cbor_get(&results[0], "Messages").is_some());
    assert_eq!(
        cbor_get(&results[1], "StatusCode").unwrap().as_text(),
        Some("Complete")
    );
    // Server-side accounting counts the metric queries.
    let calls = rig.server.calls();
    assert!(calls["metric_queries"].as_u64().unwrap() >= 505, "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_an_error_response_never_a_panic() {
    let rig = Rig::new(0, None).await;
    let s = &rig.server;
    // No Authorization header.
    let r = raw(
        s,
        "POST",
        "/",
        &[("X-Amz-Target", "SageMaker.ListEndpoints")],
        b"{}",
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "MissingAuthenticationTokenException")
    );
    // Malformed JSON, a non-object body, an unknown operation.
    for body in ["{", "[1,2]", "\"x\"", "{\"EndpointName\":", "\u{0}"] {
        let r = rig
            .json("sagemaker", "SageMaker.DescribeEndpoint", body)
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "SerializationException"),
            "{body}"
        );
    }
    let r = rig
        .json("sagemaker", "SageMaker.DeleteEndpoint", "{}")
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "UnknownOperationException")
    );
    // Malformed CBOR, an unknown CBOR operation.
    for body in [
        &b"\xff"[..],
        b"\xbf\x61",
        b"\x9f\x9f\x9f",
        b"\xa1\x01\x02",
        b"not cbor",
    ] {
        let r = rig.cbor("GetMetricData", body).await;
        assert_eq!(r.status, 400, "{body:?}");
        assert_eq!(
            cbor_get(&cbor_reply(&r.body), "__type").unwrap().as_text(),
            Some("SerializationException")
        );
    }
    assert_eq!(rig.cbor("PutMetricData", b"\xa0").await.status, 404);
    // awsQuery: STS answers XML, an unknown action InvalidAction.
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0";
    let form = [
        ("Authorization", auth),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let r = raw(
        s,
        "POST",
        "/",
        &form,
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains("<Account>111122223333</Account>"),
        "{}",
        r.text()
    );
    let r = raw(
        s,
        "POST",
        "/",
        &form,
        b"Action=AssumeRole&Version=2011-06-15",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Code>InvalidAction</Code>") && r.text().contains("<Type>Sender</Type>")
    );
    // An oversized body.
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.ListEndpoints",
            std::str::from_utf8(&big).unwrap(),
        )
        .await;
    assert_eq!(r.status, 413);
    // The runtime's REST path keeps answering as before.
    let r = raw(
        s,
        "POST",
        &format!("/endpoints/{FRAUD}/invocations"),
        &[("Content-Type", "text/csv")],
        b"0.1",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = raw(s, "GET", "/endpoints/x/invocations", &[], b"").await;
    assert_eq!(r.status, 404);
    // The server still serves after all that.
    let r = rig.json("sagemaker", "SageMaker.ListEndpoints", "{}").await;
    assert_eq!(r.status, 200);
    let calls: Value =
        serde_json::from_slice(&raw(s, "GET", "/_sagetop/calls", &[], b"").await.body).unwrap();
    assert!(
        calls["calls"]["sagemaker"]["ListEndpoints"]["calls"]
            .as_u64()
            .unwrap()
            >= 1
    );
}
