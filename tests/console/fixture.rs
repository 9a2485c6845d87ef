//! Fixture of the `update` tests of the write dialogs: a small fleet with autoscaling and a
//! near-limit quota, and helpers to press keys and read dialogs back.
#![allow(dead_code, unused_imports)]

pub use std::collections::BTreeMap;

pub use chrono::Duration;
pub use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub use sagetop::app::action::{AutoscalingData, EndpointsData};
pub use sagetop::app::dialogs::{ConfirmFocus, Dialog, ScaleFocus, WeightsFocus};
pub use sagetop::app::ops::OpsAction;
pub use sagetop::app::state::SessionInfo;
pub use sagetop::app::{
    Action, AppState, Command, NoticeLevel, Panel, PanelData, Polled, View, update,
};
pub use sagetop::boundary::{BackendError, Operation};
pub use sagetop::clock::fixture_epoch;
pub use sagetop::domain::*;
pub use sagetop::rollout::OpsCommand;
pub use sagetop::write::{Origin, WriteEvent, WriteOutcome, WriteRequest};

pub fn t(secs: i64) -> Timestamp {
    fixture_epoch() + Duration::seconds(secs)
}

pub fn variant(name: &str, weight: f64, count: u32, itype: &str) -> Variant {
    Variant {
        name: name.into(),
        model_name: Some(format!("{name}-model")),
        instance_type: Some(itype.into()),
        current_instance_count: Some(count),
        desired_instance_count: Some(count),
        current_weight: Some(weight),
        desired_weight: Some(weight),
        serverless: None,
        statuses: Vec::new(),
    }
}

pub fn endpoint(name: &str, status: EndpointStatus, variants: Vec<Variant>) -> Endpoint {
    Endpoint {
        name: name.into(),
        arn: format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{name}"),
        status,
        failure_reason: None,
        creation_time: t(-86_400),
        last_modified_time: t(-3600),
        config_name: format!("{name}-config"),
        shadow_variants: Vec::new(),
        pending: None,
        variants,
    }
}

pub const C5: &str = "ml.c5.xlarge";

pub fn fleet() -> Vec<Endpoint> {
    let mut srv = variant("AllTraffic", 1.0, 0, C5);
    srv.instance_type = None;
    srv.current_instance_count = None;
    srv.desired_instance_count = None;
    srv.serverless = Some(ServerlessConfig {
        memory_size_mb: 2048,
        max_concurrency: 5,
    });
    vec![
        endpoint(
            "ab-three",
            EndpointStatus::InService,
            vec![
                variant("A", 1.0, 1, "ml.m5.large"),
                variant("B", 1.0, 1, "ml.m5.large"),
                variant("C", 1.0, 1, "ml.m5.large"),
            ],
        ),
        endpoint(
            "busy",
            EndpointStatus::Updating,
            vec![variant("AllTraffic", 1.0, 1, C5)],
        ),
        endpoint(
            "canary-ep",
            EndpointStatus::InService,
            vec![variant("prod", 9.0, 4, C5), variant("canary", 1.0, 1, C5)],
        ),
        endpoint("srv", EndpointStatus::InService, vec![srv]),
    ]
}

pub fn polled(panel: Panel, data: PanelData) -> Action {
    Action::Polled(Polled {
        panel,
        at: t(0),
        result: Ok(data),
        retry_in: None,
    })
}

pub fn loaded_with(session: SessionInfo) -> AppState {
    let mut s = AppState::new(session, t(0));
    let data = EndpointsData {
        endpoints: fleet(),
        failed: BTreeMap::new(),
        ..Default::default()
    };
    update(
        &mut s,
        polled(Panel::Endpoints, PanelData::Endpoints(data)),
        t(0),
    );
    let mut auto = AutoscalingData::default();
    auto.config.insert(
        "canary-ep".into(),
        vec![VariantAutoscaling {
            variant: "prod".into(),
            target: Some(ScalableTarget {
                endpoint: "canary-ep".into(),
                variant: "prod".into(),
                min_capacity: 2,
                max_capacity: 6,
            }),
            policies: Vec::new(),
        }],
    );
    update(
        &mut s,
        polled(Panel::Autoscaling, PanelData::Autoscaling(auto)),
        t(0),
    );
    let quota = ServiceQuota {
        name: endpoint_quota_name(C5),
        code: "L-1".into(),
        value: 7.0,
        unit: "None".into(),
        adjustable: true,
    };
    update(
        &mut s,
        polled(Panel::Quotas, PanelData::Quotas(vec![quota])),
        t(0),
    );
    s.notice = None;
    s
}

pub fn loaded() -> AppState {
    loaded_with(SessionInfo::default())
}

pub fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn typed(s: &str) -> Vec<Action> {
    s.chars().map(key).collect()
}

pub fn run(state: &mut AppState, actions: Vec<Action>) -> Vec<Command> {
    let mut out = Vec::new();
    for a in actions {
        out.extend(update(state, a, t(1)));
    }
    out
}

pub fn select(state: &mut AppState, name: &str) {
    state.selected = Some(name.into());
}

pub fn weights_texts(s: &AppState) -> Vec<String> {
    match &s.ops.dialog {
        Some(Dialog::Weights(d)) => d.texts(),
        other => panic!("weights dialog expected, got {other:?}"),
    }
}

pub fn dialog_message(s: &AppState) -> String {
    match &s.ops.dialog {
        Some(Dialog::Weights(d)) => d.message.clone().unwrap_or_default(),
        Some(Dialog::Scale(d)) => d.message.clone().unwrap_or_default(),
        Some(Dialog::Confirm(d)) => d.message.clone().unwrap_or_default(),
        other => panic!("a dialog expected, got {other:?}"),
    }
}

pub fn notice(s: &AppState) -> String {
    s.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

pub fn writes(cmds: &[Command]) -> Vec<WriteRequest> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Ops(OpsCommand::Write(job)) => Some(job.request.clone()),
            _ => None,
        })
        .collect()
}
