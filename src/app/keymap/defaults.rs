//! The default bindings of every scope, in help order: one row per (scope, action) with its
//! keys, the help text and the footer hint. Keys are written as the config file writes them.

use super::action::KeyAction as A;
use super::scope::Scope as S;
use super::{Binding, Hint, Show};

/// The hint shown with every key of the binding.
const fn all(label: &'static str) -> Option<Hint> {
    Some(Hint {
        label,
        show: Show::All,
    })
}

/// The hint shown with the binding's first key only.
const fn first(label: &'static str) -> Option<Hint> {
    Some(Hint {
        label,
        show: Show::First,
    })
}

/// One hint for this binding and the next one ("↑/↓ variant").
const fn pair(label: &'static str) -> Option<Hint> {
    Some(Hint {
        label,
        show: Show::Pair,
    })
}

const NO: Option<Hint> = None;

type Row = (S, A, &'static str, &'static str, Option<Hint>);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    (S::Global, A::MoveDown, "j down", "move down", NO),
    (S::Global, A::MoveUp, "k up", "move up", NO),
    (S::Global, A::PageDown, "pgdn ctrl-f", "page down", NO),
    (S::Global, A::PageUp, "pgup ctrl-b", "page up", NO),
    (S::Global, A::Top, "g home", "first row", NO),
    (S::Global, A::Bottom, "G end", "last row", NO),
    (S::Global, A::Help, "?", "show or hide this help", all("help")),
    (S::Global, A::Command, ":", "command line (:ep, :sort COL, :q …)", all("cmd")),
    (S::Global, A::Refresh, "r", "refresh every panel now", all("refresh")),
    (S::Global, A::ForceQuit, "ctrl-c", "quit from anywhere", NO),
    (S::Global, A::Suspend, "ctrl-z", "suspend to the shell (fg resumes)", NO),
    (S::Endpoints, A::Open, "enter", "open the endpoint detail", all("detail")),
    (S::Endpoints, A::Filter, "/", "filter endpoints by substring", all("filter")),
    (S::Endpoints, A::CycleSort, "o", "sort by the next column", all("sort")),
    (S::Endpoints, A::ReverseSort, "O", "reverse the sort order", NO),
    (S::Endpoints, A::Back, "esc", "clear the filter", NO),
    (S::Endpoints, A::CopyName, "y", "copy the endpoint name (OSC 52)", NO),
    (S::Endpoints, A::CopyArn, "Y", "copy the endpoint ARN (OSC 52)", NO),
    (S::Endpoints, A::Quit, "q", "quit sagetop", all("quit")),
    (S::Detail, A::Back, "esc q", "back to the endpoints", all("back")),
    (S::Detail, A::CopyName, "y", "copy the endpoint name (OSC 52)", NO),
    (S::Detail, A::CopyArn, "Y", "copy the endpoint ARN (OSC 52)", NO),
    (S::Endpoints, A::Events, "e", "CloudTrail events of every endpoint", all("events")),
    (S::Endpoints, A::Quotas, "Q", "service quotas with usage", all("quotas")),
    (S::Detail, A::Window, "t", "next chart window: 15m 1h 3h 12h 24h 7d", all("window")),
    (S::Detail, A::Events, "e", "CloudTrail events of this endpoint", all("events")),
    (S::Detail, A::Quotas, "Q", "service quotas with usage", all("quotas")),
    (S::Events, A::Open, "enter", "the event's whole JSON", all("json")),
    (S::Events, A::Filter, "/", "filter events by text", all("filter")),
    (S::Events, A::ToggleReads, "a", "show or hide read-only Describe/List calls", all("reads")),
    (S::Events, A::OlderEvents, "m", "load older events (pages of 50)", all("older")),
    (S::Events, A::Back, "esc q", "clear the filter, then back", all("back")),
    (S::Events, A::Quotas, "Q", "service quotas with usage", NO),
    (S::EventJson, A::Back, "esc q", "back to the events", all("back")),
    (S::Quotas, A::Back, "esc q", "back", all("back")),
    (S::Api, A::Back, "esc q", "back to the endpoints", all("back")),
    (S::Quotas, A::Events, "e", "CloudTrail events", all("events")),
    (S::Endpoints, A::Weights, "w", "change traffic weights (confirm before sending)", all("weights")),
    (S::Endpoints, A::Scale, "s", "change a variant's instance count (confirm before sending)", all("scale")),
    (S::Detail, A::Weights, "w", "change traffic weights (confirm before sending)", all("weights")),
    (S::Detail, A::Scale, "s", "scale the selected variant (confirm before sending)", all("scale")),
    (S::Detail, A::Copies, "c", "change an inference component's copy count (confirm before sending)", all("copies")),
    (S::Endpoints, A::LoadRun, "b", "load run on the endpoint (asks first; every invocation is billed)", all("load")),
    (S::Detail, A::LoadRun, "b", "load run on this endpoint (asks first; every invocation is billed)", all("load")),
    (S::Detail, A::Deploy, "D", "deploy another endpoint config: blue/green or rolling, with rollback alarms (confirm before sending)", all("deploy")),
    (S::Detail, A::Logs, "l", "tail the endpoint's CloudWatch Logs (every variant and instance)", all("logs")),
    (S::Logs, A::LogsPause, "space p", "pause (no reads, no scrolling) or follow again", all("pause")),
    (S::Logs, A::Filter, "/", "CloudWatch filter pattern (terms, \"phrase\", ?any, -not), applied by AWS", all("filter")),
    (S::Logs, A::LogsStreams, "s", "streams: all, one variant, one instance (cycles)", all("streams")),
    (S::Logs, A::Back, "esc q", "clear the filter, then back to the detail", all("back")),
    (S::Shift, A::AbortShift, "x esc", "abort the traffic shift (asks: roll back or keep the step)", all("abort shift")),
    (S::Shift, A::Back, "q", "back to the endpoints (the shift goes on)", all("back")),
    (S::Help, A::Help, "? esc q", "close help", all("close")),
    (S::Help, A::MoveDown, "j down", "scroll down", NO),
    (S::Help, A::MoveUp, "k up", "scroll up", NO),
    (S::Help, A::PageDown, "pgdn", "scroll a page down", NO),
    (S::Help, A::PageUp, "pgup", "scroll a page up", NO),
    (S::Filter, A::Submit, "enter", "apply the filter", all("apply filter")),
    (S::Filter, A::Cancel, "esc", "cancel (the filter stays as it was)", all("cancel")),
    (S::Filter, A::DeleteChar, "backspace", "delete the last character (on an empty line: cancel)", NO),
    (S::CommandLine, A::Submit, "enter", "run the command", all("run")),
    (S::CommandLine, A::Complete, "tab", "complete the command name or its argument", all("complete")),
    (S::CommandLine, A::Cancel, "esc", "cancel", all("cancel")),
    (S::CommandLine, A::DeleteChar, "backspace", "delete the last character (on an empty line: cancel)", NO),
    (S::Weights, A::MoveUp, "up", "previous variant's field", pair("variant")),
    (S::Weights, A::MoveDown, "down", "next variant's field", NO),
    (S::Weights, A::Left, "left", "−5 points (shift: −10); on presets and buttons: previous", pair("−/+5")),
    (S::Weights, A::Right, "right", "+5 points (shift: +10); on presets and buttons: next", NO),
    (S::Weights, A::PageDown, "pgdn", "−10 points", pair("−/+10")),
    (S::Weights, A::PageUp, "pgup", "+10 points", NO),
    (S::Weights, A::Next, "tab", "next field, preset or button", all("presets/buttons")),
    (S::Weights, A::Previous, "backtab", "previous field, preset or button", NO),
    (S::Weights, A::Submit, "enter", "review the change (on a preset: apply it)", all("review")),
    (S::Weights, A::Cancel, "esc", "cancel: nothing is sent", all("cancel")),
    (S::Weights, A::DeleteChar, "backspace", "delete the last digit", NO),
    (S::Scale, A::MoveUp, "up", "one instance more", pair("±1")),
    (S::Scale, A::MoveDown, "down", "one instance fewer", NO),
    (S::Scale, A::Left, "left", "previous variant (on the buttons: previous button)", pair("variant")),
    (S::Scale, A::Right, "right", "next variant (on the buttons: next button)", NO),
    (S::Scale, A::Next, "tab", "next button", all("buttons")),
    (S::Scale, A::Previous, "backtab", "previous button", NO),
    (S::Scale, A::PageUp, "pgup", "five instances more", NO),
    (S::Scale, A::PageDown, "pgdn", "five instances fewer", NO),
    (S::Scale, A::Submit, "enter", "review the change (or press the focused button)", all("review")),
    (S::Scale, A::Cancel, "esc", "cancel: nothing is sent", all("cancel")),
    (S::Scale, A::DeleteChar, "backspace", "delete the last digit", NO),
    (S::Deploy, A::Next, "tab down", "next field", pair("field")),
    (S::Deploy, A::Previous, "backtab up", "previous field", NO),
    (S::Deploy, A::Left, "left", "previous choice", pair("choose")),
    (S::Deploy, A::Right, "right", "next choice", NO),
    (S::Deploy, A::Toggle, "space", "on the alarms: choose or drop the alarm (at most 10)", all("alarm")),
    (S::Deploy, A::DeleteChar, "backspace", "delete the last digit", NO),
    (S::Deploy, A::Submit, "enter", "review the deployment", all("review")),
    (S::Deploy, A::Cancel, "esc", "cancel: nothing is sent", all("cancel")),
    (S::Copies, A::MoveUp, "up", "one copy more", pair("±1")),
    (S::Copies, A::MoveDown, "down", "one copy fewer", NO),
    (S::Copies, A::Left, "left", "previous component (on the buttons: previous button)", pair("component")),
    (S::Copies, A::Right, "right", "next component (on the buttons: next button)", NO),
    (S::Copies, A::Next, "tab", "next button", all("buttons")),
    (S::Copies, A::Previous, "backtab", "previous button", NO),
    (S::Copies, A::Submit, "enter", "review the change (or press the focused button)", all("review")),
    (S::Copies, A::Cancel, "esc", "cancel: nothing is sent", all("cancel")),
    (S::Copies, A::DeleteChar, "backspace", "delete the last digit", NO),
    (S::Confirm, A::Confirm, "y Y", "send the change", all("confirm")),
    (S::Confirm, A::Submit, "enter", "press the focused button", all("focused button")),
    (S::Confirm, A::Next, "tab backtab left right", "move between the buttons", first("move")),
    (S::Confirm, A::Cancel, "n N esc", "cancel: nothing is sent", all("cancel")),
    (S::ConfirmTyped, A::Confirm, "", "type the endpoint name to arm the confirm button", Some(Hint { label: "arm", show: Show::Text("type name") })),
    (S::ConfirmTyped, A::Submit, "enter", "press the focused button", all("focused button")),
    (S::ConfirmTyped, A::Next, "tab backtab left right", "move between the buttons", first("move")),
    (S::ConfirmTyped, A::Cancel, "esc", "cancel: nothing is sent", all("cancel")),
    (S::ConfirmTyped, A::DeleteChar, "backspace", "delete the last character typed", NO),
    (S::AbortShift, A::RollBack, "r R", "abort and roll back to the starting weights", all("roll back")),
    (S::AbortShift, A::KeepStep, "k K", "abort and keep the current step's weights", all("keep step")),
    (S::AbortShift, A::Submit, "enter", "press the focused button", all("focused button")),
    (S::AbortShift, A::Cancel, "esc n N", "cancel: the shift goes on", first("cancel")),
    (S::AbortShift, A::Next, "tab right", "next button", NO),
    (S::AbortShift, A::Previous, "backtab left", "previous button", NO),
    (S::QuitDialog, A::Confirm, "y Y", "quit anyway: the shift stops at the current step", all("quit")),
    (S::QuitDialog, A::Submit, "enter", "press the focused button", all("focused button")),
    (S::QuitDialog, A::Cancel, "esc n N", "stay in sagetop", first("stay")),
    (S::QuitDialog, A::Next, "tab backtab left right", "move between the buttons", NO),
    (S::LoadPlan, A::Next, "tab down", "next field", all("next")),
    (S::LoadPlan, A::Previous, "backtab up", "previous field", NO),
    (S::LoadPlan, A::Left, "left", "previous target variant (on the variant line); on the answers line: whole or streamed", pair("variant")),
    (S::LoadPlan, A::Right, "right space", "next target variant (on the variant line); on the answers line: whole or streamed", NO),
    (S::LoadPlan, A::Submit, "enter", "review the run", all("review")),
    (S::LoadPlan, A::Cancel, "esc", "cancel: nothing is started", all("cancel")),
    (S::LoadPlan, A::DeleteChar, "backspace", "delete the last character", NO),
    (S::LoadConfirm, A::Confirm, "y enter", "start the run (every invocation is billed)", all("start")),
    (S::LoadConfirm, A::Cancel, "n esc", "back to the dialog", all("back")),
    (S::LoadLive, A::Stop, "x esc", "stop the run (partial results are kept)", all("stop (keeps results)")),
    (S::LoadLive, A::Back, "q", "hide the panel (the run goes on)", NO),
    (S::LoadLive, A::Save, "s", "save as JSON (once the run has ended)", NO),
    (S::LoadLive, A::Command, ":", "command line", all("cmd")),
    (S::LoadDone, A::Save, "s", "save the run as JSON", all("save JSON")),
    (S::LoadDone, A::Command, ":", "command line (:runs lists past runs, :save PATH)", Some(Hint { label: "past runs", show: Show::Suffix("runs") })),
    (S::LoadDone, A::Back, "esc q", "close the panel", first("close")),
    (S::LoadRuns, A::Open, "enter", "open the run", all("open")),
    (S::LoadRuns, A::Save, "s", "save the run as JSON", all("save JSON")),
    (S::LoadRuns, A::MoveDown, "j down", "next run", pair("move")),
    (S::LoadRuns, A::MoveUp, "k up", "previous run", NO),
    (S::LoadRuns, A::Top, "g home", "newest run", NO),
    (S::LoadRuns, A::Bottom, "G end", "oldest run", NO),
    (S::LoadRuns, A::Command, ":", "command line", NO),
    (S::LoadRuns, A::Back, "esc q", "close the list", first("close")),
];

/// The default bindings.
pub fn bindings() -> Vec<Binding> {
    ROWS.iter()
        .map(|&(scope, action, keys, help, footer)| Binding {
            scope,
            action,
            keys: keys
                .split_whitespace()
                .map(|k| super::KeySpec::parse(k).expect("default keys parse"))
                .collect(),
            help,
            footer,
        })
        .collect()
}
