//! Endpoint logs over CloudWatch Logs' wire protocol (awsJson1_1, `Logs_20140328.*`): the real
//! SDK backend against the simulated account — streams per variant/instance, events equal to
//! the account's own, the filter pattern applied server-side, paging by nextToken bound to the
//! request, and the ResourceNotFound / AccessDenied / InvalidParameter errors.

use crate::wire_rig;

use sagetop::boundary::{Backend, BackendError, Operation};
use sagetop::clock::Clock;
use sagetop::domain::*;
use serde_json::{Value, json};
use wire_rig::Rig;

const FRAUD: &str = "fraud-detection-xgb";

fn query(rig: &Rig, endpoint: &str, pattern: Option<&str>) -> LogQuery {
    LogQuery {
        endpoint: endpoint.into(),
        streams: StreamChoice::All,
        filter_pattern: pattern.map(String::from),
        start: rig.clock.now() - chrono::Duration::minutes(10),
        max_events: 5_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_and_events_over_the_wire_match_the_account() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let sim = rig.sim.as_ref();

    let wire = aws.list_log_streams(FRAUD).await.unwrap();
    let direct = sim.list_log_streams(FRAUD).await.unwrap();
    assert!(!wire.is_empty());
    let names = |v: &[LogStream]| -> Vec<String> {
        let mut n: Vec<String> = v.iter().map(|s| s.name.clone()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&wire), names(&direct));
    for s in &wire {
        assert_eq!(s.variant, "AllTraffic", "{s:?}");
        assert!(s.instance.starts_with("i-0"), "{s:?}");
    }
    // Newest event first (orderBy LastEventTime, descending).
    let times: Vec<_> = wire.iter().map(|s| s.last_event).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);

    let q = query(&rig, FRAUD, None);
    let over_wire = aws.filter_log_events(&q).await.unwrap();
    let own = sim.filter_log_events(&q).await.unwrap();
    assert!(
        over_wire.events.len() > 10,
        "{} lines",
        over_wire.events.len()
    );
    assert_eq!(over_wire, own);
    assert!(over_wire.events.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(rig.served("logs", "FilterLogEvents") >= 1);

    // One variant by prefix, one instance by name.
    let one = wire[0].name.clone();
    let q1 = LogQuery {
        streams: StreamChoice::Stream(one.clone()),
        ..q.clone()
    };
    let only = aws.filter_log_events(&q1).await.unwrap();
    assert!(only.events.iter().all(|e| e.stream == one));
    let qv = LogQuery {
        streams: StreamChoice::Variant("AllTraffic".into()),
        ..q.clone()
    };
    assert_eq!(aws.filter_log_events(&qv).await.unwrap(), over_wire);

    // The filter pattern is applied by the service.
    sim.set_variant_fault(FRAUD, "AllTraffic", 0.4);
    rig.clock.advance(std::time::Duration::from_secs(180));
    let qe = LogQuery {
        start: rig.clock.now() - chrono::Duration::minutes(3),
        ..query(&rig, FRAUD, Some("ERROR \"500\""))
    };
    let errors = aws.filter_log_events(&qe).await.unwrap();
    assert!(!errors.events.is_empty(), "a 40% error rate writes errors");
    assert!(errors.events.iter().all(|e| e.message.contains("ERROR")));
    assert_eq!(errors, sim.filter_log_events(&qe).await.unwrap());
    let qn = LogQuery {
        filter_pattern: Some("-POST".into()),
        ..qe.clone()
    };
    let no_posts = aws.filter_log_events(&qn).await.unwrap();
    assert!(no_posts.events.iter().all(|e| !e.message.contains("POST")));

    // A read capped below what matched says so.
    let capped = LogQuery {
        max_events: 3,
        ..q.clone()
    };
    let page = aws.filter_log_events(&capped).await.unwrap();
    assert_eq!(page.events.len(), 3);
    assert!(page.truncated);
    assert_eq!(page.events[..], over_wire.events[..3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_log_events_pages_by_a_token_bound_to_the_request() {
    let rig = Rig::new(0, None).await;
    let now = rig.clock.now().timestamp_millis();
    let body = |limit: u64, token: Option<&str>, start: i64| {
        let mut b = json!({
            "logGroupName": format!("/aws/sagemaker/Endpoints/{FRAUD}"),
            "startTime": start,
            "limit": limit,
        });
        if let Some(t) = token {
            b["nextToken"] = json!(t);
        }
        b.to_string()
    };
    let target = "Logs_20140328.FilterLogEvents";
    let all = rig
        .json("logs", target, &body(10_000, None, now - 600_000))
        .await;
    assert_eq!(all.status, 200, "{}", all.text());
    let all_ids: Vec<Value> = all.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].clone())
        .collect();
    assert!(all.json().get("nextToken").is_none());
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let r = rig
            .json("logs", target, &body(7, token.as_deref(), now - 600_000))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        paged.extend(
            j["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventId"].clone()),
        );
        pages += 1;
        match j.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert!(pages > 2, "{pages} pages");
    assert_eq!(paged, all_ids, "pages of 7 add up to the whole, in order");

    // A token sent with other parameters is refused.
    let first = rig
        .json("logs", target, &body(7, None, now - 600_000))
        .await;
    let t = first.json()["nextToken"].as_str().unwrap().to_string();
    let r = rig
        .json("logs", target, &body(7, Some(&t), now - 300_000))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidParameterException")
    );

    // Names and a prefix together are refused, as documented.
    let r = rig
        .json(
            "logs",
            target,
            &json!({
                "logGroupName": format!("/aws/sagemaker/Endpoints/{FRAUD}"),
                "logStreamNames": ["AllTraffic/i-0"],
                "logStreamNamePrefix": "AllTraffic/",
            })
            .to_string(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidParameterException")
    );
    // Out of the model's range: ValidationException from the published model.
    let r = rig.json("logs", target, &body(0, None, now)).await;
    assert_eq!((r.status, r.code().as_str()), (400, "ValidationException"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_group_and_denied_reads_map_to_typed_errors() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let e = aws
        .filter_log_events(&query(&rig, "no-such-endpoint", None))
        .await
        .unwrap_err();
    match &e {
        BackendError::NotFound {
            operation,
            resource,
            ..
        } => {
            assert_eq!(*operation, Operation::FilterLogEvents);
            assert_eq!(resource, "/aws/sagemaker/Endpoints/no-such-endpoint");
        }
        other => panic!("{other:?}"),
    }
    let e = aws.list_log_streams("no-such-endpoint").await.unwrap_err();
    assert!(matches!(e, BackendError::NotFound { .. }), "{e:?}");
    let e = aws
        .filter_log_events(&query(&rig, FRAUD, Some("{ $.level = \"ERROR\" }")))
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::Validation { .. }), "{e:?}");

    let rig = Rig::new(0, Some("deny=logs")).await;
    let aws = rig.backend(1).await;
    let e = aws
        .filter_log_events(&query(&rig, FRAUD, None))
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::AccessDenied { .. }), "{e:?}");
    assert!(e.hint().contains("logs:FilterLogEvents"), "{}", e.hint());
    let e = aws.list_log_streams(FRAUD).await.unwrap_err();
    assert!(e.hint().contains("logs:DescribeLogStreams"), "{}", e.hint());
}
