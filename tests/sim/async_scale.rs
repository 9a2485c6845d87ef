//! The simulated async endpoint scales itself as AWS documents it: out of zero on
//! HasBacklogWithoutCapacity (step policy), back to zero once the queue stays empty (target
//! tracking on ApproximateBacklogSizePerInstance, MinCapacity 0). Injected clock, fixed seeds.

use super::*;
use sagetop::clock::Clock;

const ASYNC: &str = "doc-ocr-async";

async fn counts(s: &SimAccount) -> (EndpointStatus, u32, u32) {
    let e = s.describe_endpoint(ASYNC).await.expect("async endpoint");
    (
        e.status,
        e.current_instances().unwrap_or(0),
        e.desired_instances().unwrap_or(0),
    )
}

async fn queue(s: &SimAccount, metric: MetricName, from: Timestamp, to: Timestamp) -> Vec<f64> {
    let q = query(ASYNC, "", &[(metric, Statistic::Maximum)], from, to, 60);
    let series = s.get_metrics(&q).await.expect("metrics");
    series[0].points.iter().map(|p| p.value).collect()
}

#[tokio::test]
async fn the_async_endpoint_registers_a_zero_minimum_and_both_documented_policies() {
    let (s, _clock) = sim(7);
    let a = s.describe_autoscaling(ASYNC).await.expect("autoscaling");
    let v = &a[0];
    let t = v.target.as_ref().expect("a scalable target");
    assert_eq!((t.min_capacity, t.max_capacity), (0, 2));
    let tt = v
        .policies
        .iter()
        .find(|p| p.policy_type == "TargetTrackingScaling")
        .expect("target tracking");
    assert_eq!(tt.metric, "ApproximateBacklogSizePerInstance");
    assert_eq!(tt.target_value, Some(5.0));
    let step = v
        .policies
        .iter()
        .find(|p| p.policy_type == "StepScaling")
        .expect("a step policy");
    assert_eq!(step.name, "HasBacklogWithoutCapacity-ScalingPolicy");
    assert!(
        step.metric.contains("HasBacklogWithoutCapacity"),
        "the step policy names its alarm: {step:?}"
    );
    assert_eq!(counts(&s).await.1, 0, "scaled to zero at the start");
}

#[tokio::test]
async fn backlog_at_zero_scales_out_to_one_drains_and_scales_back_to_zero() {
    let (s, clock) = sim(7);
    let start = clock.now();
    let mut seen = Vec::new();
    for minute in 1..=90 {
        clock.advance(Duration::from_secs(60));
        seen.push((minute, counts(&s).await));
    }
    let first_up = seen
        .iter()
        .find(|(_, (_, cur, _))| *cur == 1)
        .map(|(m, _)| *m)
        .unwrap_or_else(|| panic!("never reached one instance: {seen:?}"));
    assert!(
        first_up <= 10,
        "one instance within 10 minutes (alarm 2 min + provisioning): minute {first_up}"
    );
    assert!(
        seen.iter()
            .take_while(|(m, _)| *m < first_up)
            .any(|(_, (st, cur, des))| *st == EndpointStatus::Updating && *cur == 0 && *des == 1),
        "Updating 0 → 1 before it is up: {seen:?}"
    );
    let back = seen
        .iter()
        .find(|(m, (st, cur, _))| *m > first_up && *cur == 0 && *st == EndpointStatus::InService)
        .map(|(m, _)| *m)
        .unwrap_or_else(|| panic!("never back to zero: {seen:?}"));
    assert!(back <= 60, "back to zero within the hour: minute {back}");
    let peak = seen.iter().map(|(_, (_, c, _))| *c).max().unwrap_or(0);
    assert!(peak <= 2, "within MaxCapacity: {peak}");

    // The metric series tell the same story.
    let end = clock.now();
    let has = queue(&s, MetricName::HasBacklogWithoutCapacity, start, end).await;
    let backlog = queue(&s, MetricName::ApproximateBacklogSize, start, end).await;
    assert_eq!(has.first(), Some(&1.0), "backlog without capacity: {has:?}");
    assert!(
        has[first_up as usize..].iter().take(40).all(|x| *x == 0.0),
        "capacity once an instance is up: {has:?}"
    );
    let top = backlog.iter().copied().fold(0.0, f64::max);
    assert!(top > 20.0, "the queue grew while at zero: {backlog:?}");
    let drained = backlog
        .iter()
        .position(|x| *x == 0.0)
        .expect("the queue drains");
    assert!(
        drained < back as usize,
        "drained (minute {drained}) before scaling in (minute {back}): {backlog:?}"
    );

    // Recorded as Application Auto Scaling activities, as the policies say.
    let mut acts: Vec<ScalingActivity> = s
        .scaling_activities(ASYNC, 50)
        .await
        .expect("activities")
        .into_iter()
        .filter(|a| a.start_time >= start)
        .collect();
    acts.reverse();
    let first = acts.first().expect("an activity");
    assert_eq!(first.description, "Setting desired instance count to 1.");
    assert!(
        first
            .cause
            .contains("HasBacklogWithoutCapacity-ScalingPolicy")
            && first
                .cause
                .contains("doc-ocr-async-HasBacklogWithoutCapacity"),
        "{}",
        first.cause
    );
    assert_eq!(first.status, ActivityStatus::Successful);
    let last = acts.last().expect("an activity");
    assert_eq!(last.description, "Setting desired instance count to 0.");
    assert!(
        last.cause
            .contains("ApproximateBacklogSizePerInstance-ScalingPolicy"),
        "{}",
        last.cause
    );
    assert_eq!(last.status, ActivityStatus::Successful);
    // CloudTrail has the autoscaling role's UpdateEndpointWeightsAndCapacities.
    let writes: Vec<TrailEvent> = all_events(&s, Some(ASYNC))
        .await
        .into_iter()
        .filter(|e| e.time >= start && !e.read_only)
        .collect();
    assert!(
        writes
            .iter()
            .any(|e| e.name == "UpdateEndpointWeightsAndCapacities"),
        "{writes:?}"
    );
}

#[tokio::test]
async fn the_next_batch_scales_it_out_again_and_the_past_shows_earlier_cycles() {
    let (s, clock) = sim(3);
    let start = clock.now();
    let past: Vec<ScalingActivity> = s.scaling_activities(ASYNC, 50).await.expect("activities");
    assert!(
        past.iter().any(|a| a.description.ends_with("to 1."))
            && past.iter().any(|a| a.description.ends_with("to 0.")),
        "earlier cycles before the start: {past:?}"
    );
    let has = queue(
        &s,
        MetricName::HasBacklogWithoutCapacity,
        start - chrono::Duration::hours(3),
        start,
    )
    .await;
    assert!(has.contains(&1.0) && has.contains(&0.0), "{has:?}");
    // A quiet queue from now on: the batch already queued is served, then no more.
    clock.advance(Duration::from_secs(90 * 60));
    let ups = |acts: &[ScalingActivity]| {
        acts.iter()
            .filter(|a| a.start_time >= start && a.description.ends_with("to 1."))
            .count()
    };
    let after_one = s.scaling_activities(ASYNC, 50).await.expect("activities");
    assert_eq!(ups(&after_one), 1, "{after_one:?}");
    // The next batch (90 minutes on) brings the next scale-out from zero.
    clock.advance(Duration::from_secs(15 * 60));
    let after_two = s.scaling_activities(ASYNC, 50).await.expect("activities");
    assert_eq!(ups(&after_two), 2, "{after_two:?}");
    // With no requests at all the endpoint stays at zero.
    s.set_load_factor(ASYNC, 0.0);
    clock.advance(Duration::from_secs(75 * 60));
    let (_, cur, _) = counts(&s).await;
    assert_eq!(cur, 0);
    clock.advance(Duration::from_secs(90 * 60));
    let quiet = s.scaling_activities(ASYNC, 50).await.expect("activities");
    assert_eq!(ups(&quiet), 2, "no scale-out without a backlog: {quiet:?}");
}
