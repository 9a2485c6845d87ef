//! The deploy dialog (`D`): move an endpoint to another existing endpoint config with
//! SageMaker's own guardrails — blue/green all at once, canary or linear, or rolling — a wait
//! per step, a termination wait, and CloudWatch alarms that roll it back. Enter reviews the
//! exact change in the confirm dialog; nothing is sent before that.
//! Limits from https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
//! (canary ≤ 50%, linear steps 10–50%, WaitIntervalInSeconds 0–3600) and
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html
//! (TerminationWaitInSeconds 0–3600).

use crate::app::keymap::KeyAction;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::confirm::{ChangeRow, ConfirmDialog, ConfirmFocus, Proposal};
use crate::boundary::BackendError;
use crate::domain::*;
use crate::write::WriteRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployFocus {
    Config,
    Strategy,
    Size,
    Wait,
    Termination,
    Alarms,
}

const FOCUS: [DeployFocus; 6] = [
    DeployFocus::Config,
    DeployFocus::Strategy,
    DeployFocus::Size,
    DeployFocus::Wait,
    DeployFocus::Termination,
    DeployFocus::Alarms,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    AllAtOnce,
    Canary,
    Linear,
    Rolling,
}

impl StrategyKind {
    const ALL: [StrategyKind; 4] = [
        StrategyKind::AllAtOnce,
        StrategyKind::Canary,
        StrategyKind::Linear,
        StrategyKind::Rolling,
    ];
    pub fn label(self) -> &'static str {
        match self {
            StrategyKind::AllAtOnce => "blue/green, all at once",
            StrategyKind::Canary => "blue/green, canary",
            StrategyKind::Linear => "blue/green, linear",
            StrategyKind::Rolling => "rolling",
        }
    }
    /// What the size field means for this strategy.
    pub fn size_label(self) -> Option<&'static str> {
        match self {
            StrategyKind::AllAtOnce => None,
            StrategyKind::Canary => Some("canary % (1–50)"),
            StrategyKind::Linear => Some("step % (10–50)"),
            StrategyKind::Rolling => Some("batch % (1–100)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeployDialog {
    pub endpoint: String,
    pub from_config: String,
    /// `None` while ListEndpointConfigs is being read.
    pub configs: Option<Vec<String>>,
    pub config: usize,
    pub strategy: StrategyKind,
    pub size: String,
    pub wait: String,
    pub termination: String,
    /// (alarm name, chosen); `None` while DescribeAlarms is being read.
    pub alarms: Option<Vec<(String, bool)>>,
    pub alarm_cursor: usize,
    pub focus: DeployFocus,
    pub message: Option<String>,
}

pub enum DeployOutcome {
    Stay,
    Cancel,
    Review(DeploymentRequest),
}

fn number(text: &str, what: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let n: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{what}: type a whole number"))?;
    if !(lo..=hi).contains(&n) {
        return Err(format!("{what} must be {lo}–{hi}"));
    }
    Ok(n)
}

impl DeployDialog {
    pub fn open(e: &Endpoint) -> DeployDialog {
        DeployDialog {
            endpoint: e.name.clone(),
            from_config: e.config_name.clone(),
            configs: None,
            config: 0,
            strategy: StrategyKind::Canary,
            size: "10".into(),
            wait: "300".into(),
            termination: "0".into(),
            alarms: None,
            alarm_cursor: 0,
            focus: DeployFocus::Config,
            message: None,
        }
    }

    /// The choices arrived: configs other than the current one, newest first.
    pub fn set_choices(
        &mut self,
        configs: Result<Vec<EndpointConfigSummary>, BackendError>,
        alarms: Result<Vec<String>, BackendError>,
    ) {
        match configs {
            Ok(c) => {
                // The endpoint's own configs (named after it) first, each group newest first.
                let (mut own, other): (Vec<String>, Vec<String>) = c
                    .into_iter()
                    .map(|c| c.name)
                    .filter(|n| *n != self.from_config)
                    .partition(|n| n.starts_with(&self.endpoint));
                own.extend(other);
                self.configs = Some(own);
            }
            Err(e) => {
                self.configs = Some(Vec::new());
                self.message = Some(format!("{e} — {}", e.hint()));
            }
        }
        match alarms {
            Ok(a) => self.alarms = Some(a.into_iter().map(|n| (n, false)).collect()),
            Err(e) => {
                self.alarms = Some(Vec::new());
                self.message = Some(format!(
                    "alarms could not be listed ({}); deploying without rollback alarms",
                    e.short()
                ));
            }
        }
    }

    pub fn chosen_config(&self) -> Option<&str> {
        self.configs.as_ref()?.get(self.config).map(String::as_str)
    }

    pub fn chosen_alarms(&self) -> Vec<String> {
        self.alarms
            .iter()
            .flatten()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn step(&mut self, forward: bool) {
        let i = FOCUS.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = FOCUS.len();
        let mut j = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        if FOCUS[j] == DeployFocus::Size && self.strategy.size_label().is_none() {
            j = if forward {
                (j + 1) % n
            } else {
                (j + n - 1) % n
            };
        }
        self.focus = FOCUS[j];
    }

    fn cycle(&mut self, forward: bool) {
        match self.focus {
            DeployFocus::Config => {
                let n = self.configs.as_ref().map_or(0, Vec::len);
                if n > 0 {
                    self.config = if forward {
                        (self.config + 1) % n
                    } else {
                        (self.config + n - 1) % n
                    };
                }
            }
            DeployFocus::Strategy => {
                let all = StrategyKind::ALL;
                let i = all.iter().position(|s| *s == self.strategy).unwrap_or(0);
                let j = if forward {
                    (i + 1) % all.len()
                } else {
                    (i + all.len() - 1) % all.len()
                };
                self.strategy = all[j];
                self.size = match self.strategy {
                    StrategyKind::Canary => "10",
                    StrategyKind::Linear => "20",
                    StrategyKind::Rolling => "25",
                    StrategyKind::AllAtOnce => "",
                }
                .into();
            }
            DeployFocus::Alarms => {
                let n = self.alarms.as_ref().map_or(0, Vec::len);
                if n > 0 {
                    self.alarm_cursor = if forward {
                        (self.alarm_cursor + 1) % n
                    } else {
                        (self.alarm_cursor + n - 1) % n
                    };
                }
            }
            _ => {}
        }
    }

    fn field(&mut self) -> Option<&mut String> {
        match self.focus {
            DeployFocus::Size => Some(&mut self.size),
            DeployFocus::Wait => Some(&mut self.wait),
            DeployFocus::Termination => Some(&mut self.termination),
            _ => None,
        }
    }

    /// A key, as the keymap binds it in the deploy dialog's scope (`action`); digits unbound
    /// there are typed into the focused number field.
    pub fn on_key(&mut self, action: Option<KeyAction>, key: KeyEvent) -> DeployOutcome {
        match action {
            Some(KeyAction::Cancel) => return DeployOutcome::Cancel,
            Some(KeyAction::Next | KeyAction::MoveDown) => self.step(true),
            Some(KeyAction::Previous | KeyAction::MoveUp) => self.step(false),
            Some(KeyAction::Right) => self.cycle(true),
            Some(KeyAction::Left) => self.cycle(false),
            Some(KeyAction::Toggle) if self.focus == DeployFocus::Alarms => {
                let chosen = self.chosen_alarms().len();
                if let Some((_, on)) = self
                    .alarms
                    .as_mut()
                    .and_then(|a| a.get_mut(self.alarm_cursor))
                {
                    // AutoRollbackConfig.Alarms holds at most 10 alarms.
                    if !*on && chosen >= 10 {
                        self.message = Some("at most 10 rollback alarms".into());
                    } else {
                        *on = !*on;
                    }
                }
            }
            Some(KeyAction::DeleteChar) => {
                if let Some(f) = self.field() {
                    f.pop();
                }
            }
            Some(KeyAction::Submit) => match self.request() {
                Ok(r) => return DeployOutcome::Review(r),
                Err(why) => self.message = Some(why),
            },
            Some(_) => {}
            None => {
                if let KeyCode::Char(c) = key.code
                    && c.is_ascii_digit()
                    && !key.modifiers.contains(KeyModifiers::CONTROL)
                    && let Some(f) = self.field()
                    && f.len() < 5
                {
                    f.push(c);
                }
            }
        }
        DeployOutcome::Stay
    }

    /// The request the fields describe, or why they do not describe one.
    pub fn request(&self) -> Result<DeploymentRequest, String> {
        let config = match &self.configs {
            None => return Err("the endpoint configs are still being read".into()),
            Some(c) if c.is_empty() => {
                return Err("no other endpoint config exists to deploy to".into());
            }
            Some(_) => self
                .chosen_config()
                .ok_or("choose an endpoint config")?
                .to_string(),
        };
        let wait = number(&self.wait, "wait per step (s)", 0, 3600)?;
        let termination = number(&self.termination, "termination wait (s)", 0, 3600)?;
        let strategy = match self.strategy {
            StrategyKind::Rolling => DeploymentStrategy::Rolling {
                batch: CapacitySize::CapacityPercent(number(&self.size, "batch %", 1, 100)?),
                wait_interval_s: wait,
                rollback_batch: None,
                max_execution_timeout_s: None,
            },
            kind => DeploymentStrategy::BlueGreen {
                routing: match kind {
                    StrategyKind::Canary => TrafficRouting::Canary(CapacitySize::CapacityPercent(
                        number(&self.size, "canary %", 1, 50)?,
                    )),
                    StrategyKind::Linear => TrafficRouting::Linear(CapacitySize::CapacityPercent(
                        number(&self.size, "step %", 10, 50)?,
                    )),
                    _ => TrafficRouting::AllAtOnce,
                },
                wait_interval_s: wait,
                termination_wait_s: termination,
                max_execution_timeout_s: None,
            },
        };
        Ok(DeploymentRequest {
            endpoint: self.endpoint.clone(),
            config_name: config,
            strategy,
            rollback_alarms: self.chosen_alarms(),
        })
    }
}

/// The confirm dialog of a deployment: endpoint, from config → to config, strategy, alarms,
/// account and region, and the exact call.
pub fn confirm(
    from_config: &str,
    request: DeploymentRequest,
    account: Option<&Identity>,
    production: bool,
) -> ConfirmDialog {
    let alarms = if request.rollback_alarms.is_empty() {
        "none (no automatic rollback)".to_string()
    } else {
        request.rollback_alarms.join(", ")
    };
    let rows = vec![
        ChangeRow {
            variant: request.endpoint.clone(),
            what: "endpoint config".into(),
            from: from_config.to_string(),
            to: request.config_name.clone(),
        },
        ChangeRow {
            variant: String::new(),
            what: "strategy".into(),
            from: String::new(),
            to: request.strategy.describe(),
        },
        ChangeRow {
            variant: String::new(),
            what: "rollback alarms".into(),
            from: String::new(),
            to: alarms,
        },
    ];
    let mut notes = vec![format!(
        "{}: {from_config} → {}",
        request.endpoint, request.config_name
    )];
    notes.push(match account {
        Some(i) => format!("account {} in {}", i.account, i.region),
        None => "account not known yet (identity still loading)".into(),
    });
    notes.push(
        "SageMaker runs the deployment: sagetop sends UpdateEndpoint once and tracks it".into(),
    );
    let request = WriteRequest::Deploy(Box::new(request));
    ConfirmDialog {
        title: format!("Deploy a new endpoint config to {}", request.endpoint()),
        endpoint: request.endpoint().to_string(),
        api: request.api_lines(),
        proposal: Proposal::Write(request),
        rows,
        notes,
        production,
        typed: String::new(),
        focus: ConfirmFocus::Cancel,
        message: None,
        action: "Deploy",
        subject: "ENDPOINT",
    }
}
