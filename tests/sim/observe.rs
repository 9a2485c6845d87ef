//! Reading the simulated account: metrics, CloudTrail paging, invoke, determinism and
//! the cost of a large fleet.

use super::*;

async fn snapshot(s: &SimAccount, end: Timestamp) -> String {
    let mut out = serde_json::to_string(&s.list_endpoints().await.expect("list")).expect("json");
    for name in s.endpoint_names() {
        let d = s.describe_endpoint(&name).await.expect("d");
        out += &serde_json::to_string(&d).expect("json");
        out += &serde_json::to_string(&s.scaling_activities(&name, 50).await.expect("a"))
            .expect("json");
        let metrics: Vec<(MetricName, Statistic)> = MetricName::ALL
            .iter()
            .flat_map(|m| {
                [
                    (*m, Statistic::Average),
                    (*m, Statistic::P99),
                    (*m, Statistic::Sum),
                ]
            })
            .collect();
        for v in &d.variants {
            let q = query(
                &name,
                &v.name,
                &metrics,
                end - chrono::Duration::hours(3),
                end,
                60,
            );
            out += &serde_json::to_string(&s.get_metrics(&q).await.expect("m")).expect("json");
        }
    }
    out += &serde_json::to_string(&all_events(s, None).await).expect("json");
    out += &serde_json::to_string(&s.list_quotas().await.expect("q")).expect("json");
    out
}

#[tokio::test]
async fn same_seed_same_world_whatever_the_path() {
    let (a, ca) = sim(42);
    let (b, cb) = sim(42);
    for s in [&a, &b] {
        s.set_load_factor(FRAUD, 3.5);
    }
    // a: one jump; b: many small uneven steps, looking at things on the way.
    ca.set(at(2 * 3600 + 17));
    let mut t = 0;
    while t < 2 * 3600 + 17 {
        t = (t + 37).min(2 * 3600 + 17);
        cb.set(at(t));
        if t % 5 == 0 {
            let _ = b.describe_endpoint(FRAUD).await;
        }
    }
    let sa = snapshot(&a, at(2 * 3600)).await;
    assert_eq!(sa, snapshot(&b, at(2 * 3600)).await);
    let (c, cc) = sim(43);
    c.set_load_factor(FRAUD, 3.5);
    cc.set(at(2 * 3600 + 17));
    assert_ne!(
        sa,
        snapshot(&c, at(2 * 3600)).await,
        "another seed, other numbers"
    );
}

#[tokio::test]
async fn metrics_have_cloudwatch_shape() {
    let (s, c) = sim(7);
    c.set(at(90));
    let ms = [
        (MetricName::ModelLatency, Statistic::Average),
        (MetricName::ModelLatency, Statistic::P99),
        (MetricName::GPUUtilization, Statistic::Average),
        (MetricName::CPUUtilization, Statistic::Average),
        (MetricName::Invocations, Statistic::Sum),
    ];
    let r = s
        .get_metrics(&query(FRAUD, "AllTraffic", &ms, at(-600), at(300), 60))
        .await
        .expect("m");
    let (avg, p99) = (&r[0].points, &r[1].points);
    assert_eq!(
        avg.len(),
        11,
        "10 past minutes + the one that closed at +60 s"
    );
    assert_eq!(
        avg.last().map(|p| p.at),
        Some(at(0)),
        "the open minute is not published"
    );
    assert!(
        avg.iter().all(|p| (2_000.0..50_000.0).contains(&p.value)),
        "µs, not ms: {avg:?}"
    );
    assert!(avg.iter().zip(p99.iter()).all(|(a, p)| p.value > a.value));
    assert!(r[2].points.is_empty(), "no GPU on ml.m5.xlarge");
    assert!(
        r[3].points
            .iter()
            .all(|p| p.value > 0.0 && p.value <= 400.0)
    );
    let g = s
        .get_metrics(&query(
            "llm-summarizer",
            "AllTraffic",
            &ms,
            at(-600),
            at(0),
            60,
        ))
        .await
        .expect("m");
    assert_eq!(g[2].points.len(), 10);
    assert!(
        g[2].points.iter().all(|p| p.value <= 400.0) && g[2].points.iter().any(|p| p.value > 100.0),
        "summed over 4 GPUs"
    );
    let sl = s
        .get_metrics(&query(
            "support-intent-serverless",
            "AllTraffic",
            &ms,
            at(-600),
            at(0),
            60,
        ))
        .await
        .expect("m");
    assert!(sl[3].points.is_empty(), "no CPU on serverless");
    let none = s
        .get_metrics(&query("nope", "AllTraffic", &ms, at(-600), at(0), 60))
        .await
        .expect("m");
    assert!(none.iter().all(|s| s.points.is_empty()));
    let bad = MetricQuery {
        period: Duration::from_secs(90),
        ..query(FRAUD, "AllTraffic", &ms, at(-600), at(0), 60)
    };
    assert!(matches!(
        s.get_metrics(&bad).await,
        Err(BackendError::Validation { .. })
    ));
}

#[tokio::test]
async fn week_long_windows_and_period_aggregation() {
    let (s, _c) = sim(7);
    let week = query(
        FRAUD,
        "AllTraffic",
        &[(MetricName::Invocations, Statistic::Sum)],
        at(-7 * 86_400),
        at(0),
        3600,
    );
    let pts = &s.get_metrics(&week).await.expect("m")[0].points;
    assert_eq!(pts.len(), 168);
    assert!(pts.windows(2).all(|w| w[0].at < w[1].at));
    let stats = [
        Statistic::Sum,
        Statistic::Average,
        Statistic::Maximum,
        Statistic::SampleCount,
    ];
    let series: Vec<(MetricName, Statistic)> = stats
        .iter()
        .map(|st| (MetricName::ModelLatency, *st))
        .chain([(MetricName::Invocations, Statistic::Sum)])
        .collect();
    let one = s
        .get_metrics(&query(FRAUD, "AllTraffic", &series, at(-1800), at(0), 60))
        .await
        .expect("1m");
    let five = s
        .get_metrics(&query(FRAUD, "AllTraffic", &series, at(-1800), at(0), 300))
        .await
        .expect("5m");
    assert_eq!(five[4].points.len(), 6);
    for (k, p) in five[4].points.iter().enumerate() {
        let sum: f64 = one[4].points[k * 5..k * 5 + 5]
            .iter()
            .map(|p| p.value)
            .sum();
        assert_eq!(p.value, sum, "Sum over 5 minutes");
        let max = one[2].points[k * 5..k * 5 + 5]
            .iter()
            .map(|p| p.value)
            .fold(0.0, f64::max);
        assert_eq!(five[2].points[k].value, max);
        let weighted = five[0].points[k].value / five[3].points[k].value;
        assert!((five[1].points[k].value - weighted).abs() < 1e-6);
    }
}

#[tokio::test]
async fn events_page_newest_first_without_duplicates() {
    let (s, c) = sim(7);
    c.set(at(3600));
    let events = all_events(&s, None).await;
    assert!(events.len() > 150, "history and noise: {}", events.len());
    assert!(events.windows(2).all(|w| w[0].time >= w[1].time));
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), events.len());
    assert!(
        events
            .iter()
            .any(|e| e.read_only && e.name == "DescribeEndpoint" && e.time > fixture_epoch()),
        "noise continues"
    );
    let one = s
        .lookup_events(&EventQuery {
            max_results: 0,
            ..Default::default()
        })
        .await
        .expect("page");
    assert_eq!(one.events.len(), 1);
    let big = s
        .lookup_events(&EventQuery {
            max_results: 500,
            ..Default::default()
        })
        .await
        .expect("page");
    assert_eq!(big.events.len(), 50);
    let win = EventQuery {
        start: Some(at(-1800)),
        end: Some(at(0)),
        max_results: 50,
        ..Default::default()
    };
    let w = s.lookup_events(&win).await.expect("window");
    assert!(
        w.events
            .iter()
            .all(|e| e.time >= at(-1800) && e.time <= at(0))
    );
    let bad = EventQuery {
        next_token: Some("garbage".into()),
        max_results: 5,
        ..Default::default()
    };
    assert!(matches!(
        s.lookup_events(&bad).await,
        Err(BackendError::Validation { .. })
    ));
    let raw: serde_json::Value = serde_json::from_str(&events[0].raw).expect("json");
    for k in [
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "requestID",
        "eventID",
        "readOnly",
        "eventType",
        "managementEvent",
        "recipientAccountId",
    ] {
        assert!(raw.get(k).is_some(), "{k}");
    }
}

fn req(endpoint: &str, target: Option<&str>) -> InvokeRequest {
    InvokeRequest {
        endpoint: endpoint.into(),
        body: b"0.1,2.3,4.5".to_vec(),
        content_type: "text/csv".into(),
        accept: None,
        target_variant: target.map(str::to_string),
    }
}

#[tokio::test]
async fn invoke_follows_weights_and_counts_into_metrics() {
    let (s, c) = sim(7);
    let (quiet, qc) = sim(7);
    c.set(at(5));
    let mut b = 0;
    for _ in 0..1000 {
        let r = s
            .invoke(&req("churn-predictor", None))
            .await
            .expect("invoke");
        b += usize::from(r.invoked_variant.as_deref() == Some("VariantB"));
    }
    assert!((440..=560).contains(&b), "1:1 split: {b}");
    let mut canary = 0;
    for _ in 0..1000 {
        let r = s
            .invoke(&req("recommender-ranking", None))
            .await
            .expect("invoke");
        canary += usize::from(r.invoked_variant.as_deref() == Some("Canary"));
    }
    assert!((60..=140).contains(&canary), "9:1 split: {canary}");
    for _ in 0..50 {
        let r = s
            .invoke(&req("churn-predictor", Some("VariantA")))
            .await
            .expect("invoke");
        assert_eq!(r.invoked_variant.as_deref(), Some("VariantA"));
    }
    let r = s.invoke(&req(FRAUD, None)).await.expect("invoke");
    let body = String::from_utf8(r.body).expect("utf8");
    assert!(
        body.ends_with('\n') && body.trim().parse::<f64>().is_ok(),
        "{body}"
    );
    assert!(r.latency > Duration::from_millis(1) && r.latency < Duration::from_secs(1));
    assert!(matches!(
        s.invoke(&req("churn-predictor", Some("Blue"))).await,
        Err(BackendError::Validation { .. })
    ));
    assert!(matches!(
        s.invoke(&req("image-moderation", None)).await,
        Err(BackendError::Validation { .. })
    ));
    assert!(matches!(
        s.invoke(&req("doc-extraction-llm", None)).await,
        Err(BackendError::Validation { .. })
    ));
    assert!(matches!(
        s.invoke(&req("nope", None)).await,
        Err(BackendError::NotFound { .. })
    ));

    let q = query(
        "churn-predictor",
        "VariantA",
        &[(MetricName::Invocations, Statistic::Sum)],
        at(0),
        at(120),
        60,
    );
    assert!(
        s.get_metrics(&q).await.expect("m")[0].points.is_empty(),
        "minute not closed yet"
    );
    c.set(at(61));
    qc.set(at(61));
    let loud = s.get_metrics(&q).await.expect("m")[0].points[0].value;
    let base = quiet.get_metrics(&q).await.expect("m")[0].points[0].value;
    assert_eq!(loud - base, (1000 - b + 50) as f64);
}

#[tokio::test]
async fn a_thousand_extra_endpoints_step_quickly() {
    let clock = ManualClock::new(fixture_epoch());
    let s = SimAccount::with_extra_endpoints(5, Arc::new(clock.clone()), 1000);
    // Ten standard endpoints, three hosted beyond classic variants, a thousand extra.
    assert_eq!(s.endpoint_names().len(), 1013);
    let t0 = std::time::Instant::now();
    clock.set(at(3600));
    let names = s.endpoint_names();
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "an hour took {:?}",
        t0.elapsed()
    );
    assert_eq!(names.len(), 1012, "legacy endpoint deleted");
    let quotas = s.list_quotas().await.expect("q");
    let x = s.describe_endpoint(&names[0]).await.expect("d");
    assert!(x.variants.iter().all(|v| {
        v.instance_type
            .as_ref()
            .is_none_or(|t| quotas.iter().any(|q| q.endpoint_instance_type() == Some(t)))
    }));
}
