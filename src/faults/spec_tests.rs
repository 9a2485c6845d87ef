//! Tests of the `--demo-faults` grammar (`faults::spec`): good specs parse to the rules they
//! name, bad ones say what is wrong.

use super::*;

#[test]
fn the_issue_example_parses() {
    let s = FaultSpec::parse(
        "throttle=0.3,deny=cloudtrail,latency=2s,timeout=0.05,expire-credentials-after=60s,\
         lost-write-response=0.5,delete-endpoint=churn-predictor@90s,invoke-5xx=0.1",
    )
    .unwrap();
    assert_eq!(s.rules.len(), 7);
    assert_eq!(s.rules[0].kind, FaultKind::Throttle(0.3));
    assert_eq!(
        s.rules[1].targets,
        vec![Target::Service(Service::CloudTrail)]
    );
    assert_eq!(
        s.deletions,
        vec![Deletion {
            endpoint: "churn-predictor".into(),
            at: Duration::from_secs(90)
        }]
    );
    let creds = s
        .rules
        .iter()
        .find(|r| r.kind == FaultKind::ExpiredCredentials)
        .unwrap();
    assert_eq!(creds.window.from, Duration::from_secs(60));
    assert!(!creds.applies(Operation::ListEndpoints, Duration::from_secs(59)));
    assert!(creds.applies(Operation::ListEndpoints, Duration::from_secs(60)));
}

#[test]
fn targets_windows_and_ranges() {
    let s = FaultSpec::parse(
        "throttle=100%:cloudwatch+DescribeEndpoint@30s..2m,latency=1s..3s:sts,deny=cloudtrail:LookupEvents@..90s",
    )
    .unwrap();
    let t = &s.rules[0];
    assert!(t.applies(Operation::GetMetricData, Duration::from_secs(30)));
    assert!(t.applies(Operation::DescribeEndpoint, Duration::from_secs(100)));
    assert!(!t.applies(Operation::ListEndpoints, Duration::from_secs(60)));
    assert!(!t.applies(Operation::GetMetricData, Duration::from_secs(120)));
    assert_eq!(
        s.rules[1].kind,
        FaultKind::Latency {
            min: Duration::from_secs(1),
            max: Duration::from_secs(3)
        }
    );
    assert!(s.rules[2].applies(Operation::LookupEvents, Duration::ZERO));
    assert!(!s.rules[2].applies(Operation::LookupEvents, Duration::from_secs(90)));
}

#[test]
fn alarm_changes_name_the_alarm_its_state_and_when() {
    use crate::domain::AlarmStateValue;
    let s = FaultSpec::parse(
        "alarm=fraud-detection-xgb-5xx-rate@30s,alarm=ns:odd:name:ok@1m30s,\
         alarm=x-latency:INSUFFICIENT_DATA@2m",
    )
    .unwrap();
    assert_eq!(
        s.alarms,
        vec![
            AlarmChange {
                alarm: "fraud-detection-xgb-5xx-rate".into(),
                state: AlarmStateValue::Alarm,
                at: Duration::from_secs(30),
            },
            AlarmChange {
                alarm: "ns:odd:name".into(),
                state: AlarmStateValue::Ok,
                at: Duration::from_secs(90),
            },
            AlarmChange {
                alarm: "x-latency".into(),
                state: AlarmStateValue::InsufficientData,
                at: Duration::from_secs(120),
            },
        ]
    );
    assert!(s.rules.is_empty() && !s.is_empty());
}

#[test]
fn times_read_as_everywhere_else_in_sagetop() {
    let s = FaultSpec::parse("latency=90,panic-after=1m30s").unwrap();
    let d = Duration::from_secs(90);
    assert_eq!(s.rules[0].kind, FaultKind::Latency { min: d, max: d });
    assert_eq!(s.panic_after, Some(d));
}

#[test]
fn bad_specs_say_what_is_wrong() {
    for (spec, needle) in [
        ("", "empty fault spec"),
        ("throttle", "KEY=VALUE"),
        ("throttle=2", "outside 0..1"),
        ("throttle=lots", "not a probability"),
        ("latency=3s..1s", "LOW..HIGH"),
        ("deny=cloudfront", "unknown target"),
        ("deny=ec2:RunInstances", "not an IAM action"),
        ("flood=1", "unknown fault"),
        ("delete-endpoint=churn", "NAME@TIME"),
        ("delete-endpoint=-x@1s", "not an endpoint name"),
        ("throttle=0.1@2m..1m", "ends before"),
        ("throttle=0.1@2m", "@FROM..UNTIL"),
        ("panic-after=1s,panic-after=2s", "twice"),
        ("invoke-5xx=0.1:sts", "takes no targets"),
        ("throttle=0.1,,deny=sts", "empty item"),
        ("latency=1d", "unknown unit `d`"),
        ("latency=soon", "not a duration"),
        ("latency=99999h", "30 days"),
        ("alarm=fraud-detection-xgb-5xx-rate", "NAME[:STATE]@TIME"),
        (
            "alarm=fraud-detection-xgb-5xx-rate:FIRING@30s",
            "not an alarm state",
        ),
        ("alarm=:ALARM@30s", "not an alarm name"),
        ("alarm=@30s", "not an alarm name"),
        ("alarm=x-5xx@soon", "not a duration"),
        ("alarm=x-5xx:ALARM@31d", "unknown unit"),
    ] {
        let e = FaultSpec::parse(spec).expect_err(spec);
        assert!(e.to_string().contains(needle), "{spec}: {e}");
    }
}
